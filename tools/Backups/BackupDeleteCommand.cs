using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary><c>lkv backup delete BACKUPDIR ID</c>: deletes one backup and the files no other backup needs.</summary>
public static class BackupDeleteCommand
{
    public static Command Create()
    {
        var dir = BackupDirectory.Argument();
        var id = new Argument<int>("id") { Description = "The backup to delete." };
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("delete", "Delete one backup, then every file no other backup needs. Exit code 3 when there is no such backup.");
        cmd.Arguments.Add(dir);
        cmd.Arguments.Add(id);
        cmd.Options.Add(json);
        cmd.Options.Add(lockTimeout);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false);
            int doomed = BackupDirectory.Find(engine, r.GetValue(id)).Id;
            engine.DeleteBackup(doomed);
            var kept = engine.ListBackups().Select(b => b.Id).ToList();
            if (r.GetValue(json)) BackupJson.Write(new() { ["deleted"] = new[] { doomed }, ["kept"] = kept });
            else Terminal.Out.WriteLine($"deleted {doomed.ToString(CultureInfo.InvariantCulture)}; kept {BackupPurgeCommand.Ids(kept)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
