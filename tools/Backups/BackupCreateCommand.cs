using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary><c>lkv backup create DB BACKUPDIR</c>: an incremental backup (BackupEngine.CreateBackup).</summary>
public static class BackupCreateCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var dir = BackupDirectory.Argument();
        var metadata = new Option<string?>("--metadata") { Description = "Text kept with the backup and shown by list (a reason, a version)." };
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("create", "Back up the database into BACKUPDIR (made when missing): only tables the directory does not hold yet are copied, "
            + "plus the MANIFEST, the logs and the small files; the backup appears whole or not at all. Prints its id. "
            + "An encrypted database needs its key to open; its backup stays encrypted.");
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { metadata, json, lockTimeout }) cmd.Options.Add(o);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            BackupDirectory.RequireApart(r.GetValue(db)!, r.GetValue(dir)!);
            BackupDirectory.Check(r.GetValue(dir)!, create: true);
            using var database = BackupSource.Open(r.GetValue(db)!, r);
            var info = BackupProgressBar.Run("backup", progress =>
            {
                using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: true, progress);
                return engine.CreateBackup(database, r.GetValue(metadata));
            });
            if (r.GetValue(json)) BackupJson.Write(BackupJson.Info(info));
            else Terminal.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"backup [bold]{info.Id}[/]: sequence {info.Sequence}, {info.FileCount} files, {Sizes.Format(info.Size)} ({Sizes.Format(info.NewBytes)} new)"));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
