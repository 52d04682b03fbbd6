using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv compact DB</c>: compacts whole column families down to their last level.</summary>
public static class CompactCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cf = new Option<string?>("--cf") { Description = "Compact only this column family (default: all)." };
        var cmd = new Command("compact", "Flush and compact the whole key range, dropping overwritten values and tombstones; prints the shape before and after.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(cf);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.Open(r.GetValue(db)!, r);
            var families = r.GetValue(cf) is { } name ? [Common.Family(database, name)] : database.ColumnFamilies.ToList();
            var console = Terminal.Out;
            foreach (var family in families)
            {
                long before = Size(database, family);
                string shapeBefore = database.GetProperty(family, "lattice.levelstats") ?? "";
                var clock = Stopwatch.StartNew();
                database.CompactRange(family);
                database.WaitForCompactions();
                long after = Size(database, family);
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("[bold]before[/]", "[bold]after[/]");
                grid.AddRow(Markup.Escape(shapeBefore.TrimEnd()), Markup.Escape((database.GetProperty(family, "lattice.levelstats") ?? "").TrimEnd()));
                console.Write(new Panel(grid).Header(string.Create(CultureInfo.InvariantCulture,
                    $"{Markup.Escape(family.Name)}: {Sizes.Format(before)} -> {Sizes.Format(after)} in {clock.Elapsed.TotalSeconds:F1} s")));
            }
            return ExitCodes.Ok;
        }));
        return cmd;
    }

    private static long Size(LatticeDb db, ColumnFamilyHandle family)
        => long.Parse(db.GetProperty(family, "lattice.total-sst-files-size") ?? "0", CultureInfo.InvariantCulture);
}
