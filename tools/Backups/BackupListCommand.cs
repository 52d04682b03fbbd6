using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary><c>lkv backup list BACKUPDIR</c>: every backup, oldest first.</summary>
public static class BackupListCommand
{
    private static readonly int[] NumberColumns = [0, 2, 3, 4, 5];

    public static Command Create()
    {
        var dir = BackupDirectory.Argument();
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("list", "List the backups in BACKUPDIR, oldest first: id, time, sequence, size, bytes each added, files and metadata.");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.Options.Add(lockTimeout);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false);
            var all = engine.ListBackups();
            if (r.GetValue(json))
            {
                BackupJson.Write(new() { ["directory"] = engine.Location, ["backups"] = all.Select(BackupJson.Info).ToList() });
                return ExitCodes.Ok;
            }
            if (all.Count == 0)
            {
                Terminal.Out.MarkupLine($"no backups in {Markup.Escape(engine.Location)}");
                return ExitCodes.Ok;
            }
            var t = new Table().AddColumns("Id", "Time (UTC)", "Sequence", "Size", "New", "Files", "Metadata");
            foreach (int c in NumberColumns) t.Columns[c].RightAligned();
            foreach (var b in all)
            {
                t.AddRow(N(b.Id), BackupJson.Time(b.Timestamp), N(b.Sequence), Sizes.Format(b.Size), Sizes.Format(b.NewBytes), N(b.FileCount),
                    Markup.Escape((b.Encrypted ? "[encrypted] " : "") + (b.Metadata ?? "")));
            }
            Terminal.Out.Write(t);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static string N<T>(T n) where T : IFormattable => n.ToString(null, CultureInfo.InvariantCulture);
}
