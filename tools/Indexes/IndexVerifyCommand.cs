using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Indexes;

/// <summary><c>lkv index verify DB</c>: checks every index against its primary data (also part of <c>lkv verify</c>).</summary>
public static class IndexVerifyCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var json = Common.Json();
        var cmd = new Command("verify", "Check every index against its primary data: missing entries, document records and statistics are damage (exit 14); stale entries are not.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var results = database.VerifyIndexes();
            if (r.GetValue(json)) Backups.BackupJson.Write(new Dictionary<string, object?> { ["indexes"] = results.Select(Json).ToList() });
            else Render(results);
            return ExitCode(results);
        }));
        return cmd;
    }

    public static int ExitCode(IReadOnlyList<IndexVerification> results) => results.All(v => v.Consistent) ? ExitCodes.Ok : ExitCodes.VerifyIndexInconsistent;

    public static void Render(IReadOnlyList<IndexVerification> results)
    {
        foreach (var v in results)
        {
            string verdict = v.Consistent ? "[green]consistent[/]" : "[red]inconsistent[/]";
            Terminal.Out.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"index {Markup.Escape(v.Name)} ({v.State}): {verdict}: {v.PrimaryEntries:N0} primary entries, {v.IndexEntries:N0} index entries, "
                + $"{v.MissingEntries:N0} missing, {v.StaleEntries:N0} stale, {v.DocumentMismatches:N0} document mismatches, statistics {(v.StatisticsMatch ? "exact" : "wrong")}"));
        }
    }

    public static Dictionary<string, object?> Json(IndexVerification v) => new()
    {
        ["name"] = v.Name,
        ["state"] = v.State.ToString(),
        ["consistent"] = v.Consistent,
        ["primary_entries"] = v.PrimaryEntries,
        ["index_entries"] = v.IndexEntries,
        ["missing_entries"] = v.MissingEntries,
        ["stale_entries"] = v.StaleEntries,
        ["document_mismatches"] = v.DocumentMismatches,
        ["statistics_match"] = v.StatisticsMatch,
    };
}
