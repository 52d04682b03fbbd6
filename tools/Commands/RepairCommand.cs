using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv repair DB</c>: rebuilds the MANIFEST from the surviving tables and logs (LatticeDb.Repair).</summary>
public static class RepairCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var cmd = new Command("repair", "Rebuild a database whose MANIFEST is lost or damaged from the tables and logs that survive; "
            + "old files are moved to DB/lost. An encrypted database needs its key: what repair writes is sealed, and only ciphertext moves to DB/lost. Exit code 0 when nothing was lost, 20 when damaged data could not be saved.");
        cmd.Arguments.Add(db);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string path = Path.GetFullPath(r.GetValue(db)!);
            if (!Directory.Exists(path)) throw new DbNotFoundException(path);
            var report = LatticeDb.Repair(path, new DbOptions { Encryption = KeyOptions.From(r) });
            var console = Terminal.Out;
            var t = new Table().Title("Repair").AddColumns("", "Count");
            t.AddRow("tables read whole", N(report.TablesRead));
            t.AddRow("tables read in part", N(report.TablesPartlyRead));
            t.AddRow("tables unreadable", N(report.TablesUnreadable));
            t.AddRow("tables missing", N(report.TablesMissing));
            t.AddRow("tables of shredded families (not salvageable)", N(report.TablesShredded));
            t.AddRow("log records of shredded families", N(report.LogRecordsShredded));
            t.AddRow("data blocks lost", N(report.BlocksLost));
            t.AddRow("logs replayed", N(report.LogsReplayed));
            t.AddRow("damaged log regions skipped", N(report.LogDamageSkipped));
            t.AddRow("entries salvaged", N(report.EntriesSalvaged));
            t.AddRow("tables written", N(report.TablesWritten));
            t.AddRow("last sequence", report.LastSequence.ToString("N0", CultureInfo.InvariantCulture));
            t.AddRow("column families", Markup.Escape(string.Join(", ", report.ColumnFamilies)));
            console.Write(t);
            foreach (var p in report.Problems) console.MarkupLine("[yellow]" + Markup.Escape(p) + "[/]");
            console.MarkupLine($"Old files moved to [blue]{Markup.Escape(report.LostDirectory)}[/] (safe to delete once you are satisfied).");
            console.MarkupLine(report.Complete ? "[green]repaired: nothing was lost[/]" : "[red]repaired, but the damaged data listed above is lost[/]");
            return report.Complete ? ExitCodes.Ok : ExitCodes.RepairLostData;
        }));
        return cmd;
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
