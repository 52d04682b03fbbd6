using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Backups;

/// <summary>
/// <c>lkv backup purge BACKUPDIR --keep N</c>: deletes old backups (BackupEngine.PurgeOldBackups,
/// or ApplyRetention with <c>--hourly</c>, <c>--daily</c>, <c>--weekly</c>, <c>--monthly</c>).
/// </summary>
public static class BackupPurgeCommand
{
    public static Command Create()
    {
        var dir = BackupDirectory.Argument();
        var keep = new Option<int?>("--keep") { Description = "Keep this many newest backups of each database (at least 1; default 1 when only the period options are given)." };
        var hourly = Period("--hourly", "hours");
        var daily = Period("--daily", "days");
        var weekly = Period("--weekly", "ISO weeks");
        var monthly = Period("--monthly", "months");
        var json = Common.Json();
        var lockTimeout = BackupDirectory.LockTimeout();
        var cmd = new Command("purge", "Delete old backups, keeping the newest --keep and, with the period options, the newest backup of each of the last "
            + "so many hours, days, weeks or months (UTC) that have one; then delete every file no remaining backup needs. Prints the ids deleted.");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { keep, hourly, daily, weekly, monthly, json, lockTimeout }) cmd.Options.Add(o);
        cmd.SetAction(r => BackupDirectory.Run(r.GetValue(dir)!, () =>
        {
            int h = Count(r, hourly), d = Count(r, daily), w = Count(r, weekly), m = Count(r, monthly);
            if (r.GetValue(keep) is null && h + d + w + m == 0) throw new UsageException("say what to keep: --keep N (and optionally --hourly, --daily, --weekly, --monthly).");
            int last = Require.AtLeast(r.GetValue(keep) ?? 1, 1, "--keep");
            using var engine = BackupDirectory.Open(r.GetValue(dir)!, r, lockTimeout, create: false);
            var deleted = h + d + w + m == 0
                ? engine.PurgeOldBackups(last)
                : engine.ApplyRetention(new BackupRetention { KeepLast = last, Hourly = h, Daily = d, Weekly = w, Monthly = m });
            var kept = engine.ListBackups().Select(b => b.Id).ToList();
            if (r.GetValue(json)) BackupJson.Write(new() { ["deleted"] = deleted, ["kept"] = kept });
            else Terminal.Out.WriteLine($"deleted {Ids(deleted)}; kept {Ids(kept)}");
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static Option<int> Period(string name, string unit) => new(name) { Description = $"Keep the newest backup of each of the last N {unit} that have one." };

    private static int Count(ParseResult r, Option<int> option) => Require.AtLeast(r.GetValue(option), 0, option.Name);

    internal static string Ids(IReadOnlyCollection<int> ids) => ids.Count == 0 ? "none" : string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
}
