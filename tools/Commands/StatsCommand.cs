using System.CommandLine;
using System.Text.Json;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv stats DB</c>: the engine's counters and each column family's properties.</summary>
public static class StatsCommand
{
    /// <summary>Properties shown per column family (LatticeDb.GetProperty).</summary>
    private static readonly string[] Properties =
    [
        "lattice.num-levels", "lattice.total-sst-files-size", "lattice.estimate-num-keys", "lattice.estimate-pending-compaction-bytes",
        "lattice.cur-size-active-mem-table", "lattice.cur-size-all-mem-tables", "lattice.num-immutable-mem-table", "lattice.num-snapshots", "lattice.background-error",
        "lattice.encryption.key-generation", "lattice.encryption.bytes-per-generation",
    ];

    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string?>("--cf") { Description = "Only this column family's properties (default: all)." };
        var json = Common.Json();
        var cmd = new Command("stats", "Open the database read-only (its logs replayed in memory) and print the engine's counters and each column family's properties and level statistics.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(cf);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
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
}
