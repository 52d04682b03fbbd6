using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Demo;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv demo</c>: loads a realistic ledger and research data set, reads and scans it, and reports.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var path = new Option<string>("--path") { Description = "Database directory (replaced if it holds an earlier demo).", DefaultValueFactory = _ => "lattice-demo" };
        var accounts = new Option<int>("--accounts") { Description = "Accounts to create.", DefaultValueFactory = _ => 50_000 };
        var transactions = new Option<int>("--transactions") { Description = "Ledger transactions to write.", DefaultValueFactory = _ => 2_000_000 };
        var notes = new Option<int>("--notes") { Description = "Research notes (2-8 KB each).", DefaultValueFactory = _ => 5_000 };
        var reads = new Option<int>("--reads") { Description = "Random point reads.", DefaultValueFactory = _ => 200_000 };
        var cmd = new Command("demo", "Run the main job on a fresh database: load accounts, ledger transactions and notes, then read, scan and report.");
        foreach (var o in new Option[] { path, accounts, transactions, notes, reads }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string dir = Path.GetFullPath(r.GetValue(path)!);
            if (!PrepareDirectory(dir)) return ExitCodes.Usage;
            var settings = new DemoSettings(dir, r.GetValue(accounts), r.GetValue(transactions), r.GetValue(notes), r.GetValue(reads));
            AnsiConsole.MarkupLine($"[bold]LatticeKV demo[/] in [blue]{Markup.Escape(dir)}[/]");
            DemoReport? report = null;
            AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    report = DemoWorkload.Run(settings, (phase, fraction) =>
                    {
                        if (!tasks.TryGetValue(phase, out var task))
                        {
                            foreach (var t in tasks.Values) t.Value = t.MaxValue;
                            tasks[phase] = task = ctx.AddTask(phase);
                        }
                        task.Value = fraction * 100;
                    });
                    foreach (var t in tasks.Values) t.Value = t.MaxValue;
                });
            Print(report!);
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    /// <summary>Only an empty directory or an earlier LatticeKV database is replaced.</summary>
    private static bool PrepareDirectory(string dir)
    {
        if (!Directory.Exists(dir)) return true;
        bool empty = !Directory.EnumerateFileSystemEntries(dir).Any();
        bool database = File.Exists(Path.Combine(dir, "CURRENT"));
        if (!empty && !database)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(dir)} exists and is not a LatticeKV database; choose another --path.[/]");
            return false;
        }
        Directory.Delete(dir, recursive: true);
        return true;
    }

    private static void Print(DemoReport report)
    {
        var table = new Table().Title("Phases").AddColumns("Phase", "Operations", "Ops/s", "MB/s", "Seconds");
        foreach (var p in report.Phases)
            table.AddRow(p.Name, p.Operations.ToString("N0", CultureInfo.InvariantCulture), p.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture),
                p.MegabytesPerSecond.ToString("F1", CultureInfo.InvariantCulture), p.Elapsed.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        foreach (var (cf, levels) in report.LevelStats)
            AnsiConsole.Write(new Panel(Markup.Escape(levels.TrimEnd())).Header($"LSM shape: {Markup.Escape(cf)}"));
        var s = report.Statistics;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"Logical data [bold]{report.LogicalBytes / 1e6:F1} MB[/], on disk [bold]{report.DiskBytes / 1e6:F1} MB[/] ({(double)report.DiskBytes / report.LogicalBytes:F2}x); " +
            $"{s["flush.count"]} flushes, {s["compaction.count"]} compactions, {s["write.groups"]} write groups for {s["write.batches"]} batches."));
    }
}
