using System.CommandLine;
using System.Text.Json;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary><c>lkv inspect DB</c>: the shape of a database, in the terminal, as JSON, or as an HTML page.</summary>
public static class InspectCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var json = new Option<bool>("--json") { Description = "Write the inspection as JSON to standard output." };
        var html = new Option<string?>("--html") { Description = "Also write a self-contained HTML report with charts to this file." };
        var options = new Option<bool>("--options") { Description = "Show the options in effect." };
        var format = Common.Format();
        var cmd = new Command("inspect", "Show column families, levels, tables (sizes, key and sequence ranges, compression, bloom filters, tombstones, encryption), logs and options. Reads only; works while the database is open. An encrypted database without its key shows only its files (names, sizes, kinds, the keys tables are sealed with); key ranges of encrypted families are never shown.");
        cmd.Arguments.Add(db);
        foreach (var o in new Option[] { json, html, options, format }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            var info = DatabaseInspector.Inspect(r.GetValue(db)!, KeyOptions.From(r));
            var f = r.GetValue(format);
            if (r.GetValue(html) is { } file)
            {
                HtmlReport.Write(info, f, file, StorageHistoryReport.Load(info.Path));
                Terminal.Err.MarkupLine($"HTML report written to [blue]{Markup.Escape(Path.GetFullPath(file))}[/]");
            }
            if (r.GetValue(json)) Console.Out.WriteLine(JsonSerializer.Serialize(JsonModel.Database(info, f), JsonModel.Options));
            else InspectView.Render(Terminal.Out, info, f, r.GetValue(options));
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
