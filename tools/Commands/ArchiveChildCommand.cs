using System.CommandLine;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv archive-child DB BACKUPS</c>: the log-archiving process the kill tests kill (not meant for people).</summary>
public static class ArchiveChildCommand
{
    public static Command Create()
    {
        var db = new Argument<string>("db") { Description = "Database directory." };
        var backups = new Argument<string>("backups") { Description = "Backup directory (logs are archived there)." };
        var dieAt = new Option<int>("--die-at-archive") { Description = "SIGKILL this process when the Nth archived log is written, before its rename (0: never)." };
        var dieAfter = new Option<int>("--die-after-archive") { Description = "SIGKILL this process when the Nth retired log is archived, before the database deletes it (0: never)." };
        var copy = new Option<bool>("--copy") { Description = "Make linking fail, so that logs are archived by copying." };
        var cmd = new Command("archive-child", "Write with automatic backups archiving every retired log until killed, printing 'A' and 'W SEQ' lines (used by kill tests).") { Hidden = true };
        cmd.Arguments.Add(db);
        cmd.Arguments.Add(backups);
        cmd.Options.Add(dieAt);
        cmd.Options.Add(dieAfter);
        cmd.Options.Add(copy);
        cmd.SetAction(r => Guard.Run(() => ArchiveChild.Run(r.GetValue(db)!, r.GetValue(backups)!, Require.AtLeast(r.GetValue(dieAt), 0, "--die-at-archive"),
            Require.AtLeast(r.GetValue(dieAfter), 0, "--die-after-archive"), r.GetValue(copy), Console.Out)));
        return cmd;
    }
}
