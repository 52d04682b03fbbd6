using System.CommandLine;
using System.Text.Json;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv stats DB</c>: the engine's counters and each column family's properties;
/// <c>--history</c>: the storage history (table, chart, growth, <c>--html</c>);
/// <c>--watch</c>: a live dashboard of a database open in another process.
/// </summary>
public static class StatsCommand
{
    /// <summary>Properties shown per column family (LatticeDb.GetProperty).</summary>
    private static readonly string[] Properties =
    [
        "lattice.num-levels", "lattice.total-sst-files-size", "lattice.estimate-num-keys", "lattice.estimate-pending-compaction-bytes",
        "lattice.cur-size-active-mem-table", "lattice.cur-size-all-mem-tables", "lattice.num-immutable-mem-table", "lattice.num-snapshots", "lattice.background-error",
        "lattice.encryption.key-generation", "lattice.encryption.bytes-per-generation",
        "lattice.blob.num-files", "lattice.blob.total-size", "lattice.blob.live-size", "lattice.blob.garbage-size",
    ];

    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string?>("--cf") { Description = "Only this column family's properties (default: all)." };
        var json = Common.Json();
        var history = new Option<bool>("--history") { Description = "Show the storage history instead: samples, a chart of the size over time, the growth rate and when the disk fills. Reads only the history file: works while the database is open." };
        var html = new Option<string?>("--html") { Description = "With --history: also write an HTML page with the growth charts to this file." };
        var watch = new Option<bool>("--watch") { Description = "A live dashboard of the database while another process has it open (rates, sizes, latencies, alerts), read from its LIVE-STATS file." };
        var interval = new Option<double>("--interval") { Description = "With --watch: seconds between refreshes.", DefaultValueFactory = _ => 1 };
        var count = new Option<int>("--count") { Description = "With --watch: stop after this many refreshes (0: until interrupted).", DefaultValueFactory = _ => 0 };
        var cmd = new Command("stats", "Open the database read-only (its logs replayed in memory) and print the engine's counters and each column family's properties and level statistics; or, with --history or --watch, its storage history or a live dashboard.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { cf, json, history, html, watch, interval, count }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            if (r.GetValue(history) && r.GetValue(watch)) throw new UsageException("--history and --watch cannot be combined.");
            if (r.GetValue(html) is not null && !r.GetValue(history)) throw new UsageException("--html needs --history (the full report is 'lkv inspect DB --html FILE').");
            if (r.GetValue(history)) return History(r.GetValue(db)!, r.GetValue(json), r.GetValue(html));
            if (r.GetValue(watch))
            {
                if (r.GetValue(json)) throw new UsageException("--watch shows a live dashboard; it has no --json.");
                return WatchView.Run(r.GetValue(db)!, TimeSpan.FromSeconds(Require.InRange(r.GetValue(interval), 0.1, 3600, "--interval")), Require.AtLeast(r.GetValue(count), 0, "--count"));
            }
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var families = r.GetValue(cf) is { } name ? [Common.Family(database, name)] : database.ColumnFamilies.ToList();
            var counters = database.GetStatistics();
            var props = families.ToDictionary(f => f.Name, f => Properties.ToDictionary(p => p, p => database.GetProperty(f, p) ?? ""));
            var levels = families.ToDictionary(f => f.Name, f => database.GetProperty(f, "lattice.levelstats") ?? "");
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["counters"] = counters,
                    ["column_families"] = props,
                    ["levelstats"] = levels,
                }, JsonModel.Options));
                return ExitCodes.Ok;
            }
            var console = Terminal.Out;
            var t = new Table().Title("Counters since open").AddColumns("Counter", "Value");
            t.Columns[1].RightAligned();
            foreach (var (k, v) in counters) t.AddRow(k, v.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            console.Write(t);
            foreach (var (family, values) in props)
            {
                var p = new Table().Title($"Column family {Markup.Escape(family)}").AddColumns("Property", "Value");
                foreach (var (k, v) in values) p.AddRow(k, Markup.Escape(v));
                console.Write(p);
                console.Write(new Panel(Markup.Escape(levels[family].TrimEnd())).Header("lattice.levelstats"));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static int History(string path, bool json, string? html)
    {
        string full = Path.GetFullPath(path);
        if (!Directory.Exists(full)) throw new PathNotFoundException(full);
        var report = StorageHistoryReport.Load(full);
        if (html is not null)
        {
            GrowthSection.WritePage(full, report, html);
            Terminal.Err.MarkupLine($"HTML page written to [blue]{Markup.Escape(Path.GetFullPath(html))}[/]");
        }
        if (json) Console.Out.WriteLine(JsonSerializer.Serialize(GrowthView.Json(full, report), JsonModel.Options));
        else GrowthView.Render(Terminal.Out, full, report);
        return report.Problem is null ? ExitCodes.Ok : ExitCodes.Corruption;
    }
}
