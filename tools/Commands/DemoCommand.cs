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
        var path = new Option<string>("--path")
        {
            Description = "Demo directory: created, or an empty one used; only a directory an earlier demo created is replaced (never any other database or file).",
            DefaultValueFactory = _ => "lattice-demo",
        };
        var accounts = new Option<int>("--accounts") { Description = "Accounts to create.", DefaultValueFactory = _ => 50_000 };
        var transactions = new Option<int>("--transactions") { Description = "Ledger transactions to write.", DefaultValueFactory = _ => 2_000_000 };
        var notes = new Option<int>("--notes") { Description = "Research notes (2-8 KB each).", DefaultValueFactory = _ => 5_000 };
        var reads = new Option<int>("--reads") { Description = "Random point reads.", DefaultValueFactory = _ => 200_000 };
        var cmd = new Command("demo", "Run the main job on a fresh database: load accounts, ledger transactions and notes, then read, scan and report.");
        foreach (var o in new Option[] { path, accounts, transactions, notes, reads }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            // Every argument is checked before the directory is touched.
            var settings = new DemoSettings(Path.GetFullPath(r.GetValue(path)!),
                Require.InRange(r.GetValue(accounts), 1, 99_999_999, "--accounts"), // account keys have eight digits
                Require.AtLeast(r.GetValue(transactions), 1, "--transactions"),
                Require.AtLeast(r.GetValue(notes), 0, "--notes"),
                Require.AtLeast(r.GetValue(reads), 0, "--reads"),
                Encryption: KeyOptions.From(r)); // with a key, an encrypted demo database
            string dir = settings.Path;
            DemoDirectory.Prepare(dir);
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
