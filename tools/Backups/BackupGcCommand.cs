using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary><c>lkv backup gc BACKUPDIR</c>: removes what interrupted runs left (BackupEngine.GarbageCollect).</summary>
public static class BackupGcCommand
{
    public static Command Create()
    {
        var dir = BackupDirectory.Argument();
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("gc", "Remove what interrupted runs left and every file no backup needs (every backup create does this first). Prints the number of files removed.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.Options.Add(lockTimeout);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false);
            int removed = engine.GarbageCollect();
            if (r.GetValue(json)) BackupJson.Write(new() { ["files_removed"] = removed });
            else Terminal.Out.WriteLine($"{removed.ToString(CultureInfo.InvariantCulture)} files removed");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
