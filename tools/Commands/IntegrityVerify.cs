using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv verify DB --integrity</c>: every constraint over all data, as of one snapshot. Today the
/// foreign keys (<see cref="LatticeDb.VerifyIntegrity"/>); the validators' pass belongs beside
/// them here (<see cref="Run"/>, <see cref="Render"/>, <see cref="Json"/>, <see cref="ExitCode"/>).
/// Keys are shown as the engine words them: never the bytes of an encrypted database. A foreign
/// key whose custom extractor the tool cannot run is reported as not checkable.
/// </summary>
public static class IntegrityVerify
{
    private const int MaxListed = 100;

    public static Option<bool> Option() => new("--integrity")
    {
        Description = "Also check every constraint over all data (foreign keys: every child's parent exists). Exit code 17 when one is broken.",
    };

    /// <summary>The report (null when the database is open in another process).</summary>
    public static IntegrityReport? Run(string path, ParseResult r)
    {
        try
        {
            using var database = Common.OpenReadOnly(path, r);
            return database.VerifyIntegrity(MaxListed);
        }
        catch (DbLockedException)
        {
            Terminal.Err.MarkupLine("[grey]note: constraints not checked: the database is open in another process.[/]");
            return null;
        }
    }

    public static int ExitCode(IntegrityReport report) => report.ViolationCount == 0 ? ExitCodes.Ok : ExitCodes.VerifyIntegrityViolated;

    public static void Render(IntegrityReport report)
    {
        var console = Terminal.Out;
        if (report.ViolationCount == 0)
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[green]constraints hold[/]: {report.ChildrenChecked:N0} child entries checked."));
        else
        {
            var table = new Table().Title(string.Create(CultureInfo.InvariantCulture, $"[red]{report.ViolationCount} foreign key violation(s)[/]")).AddColumns("Foreign key", "Family", "Child", "Missing parent");
            foreach (var v in report.Violations) table.AddRow(Markup.Escape(v.ForeignKey), Markup.Escape(v.ChildFamily), Markup.Escape(v.ChildKeyText), Markup.Escape(v.ParentKeyText));
            console.Write(table);
            if (report.Truncated) console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]first {report.Violations.Count} listed.[/]"));
        }
        foreach (var n in report.NotCheckable) console.MarkupLine("[yellow]not checkable[/]: " + Markup.Escape(n));
    }

    public static Dictionary<string, object?> Json(IntegrityReport report) => new()
    {
        ["consistent"] = report.ViolationCount == 0,
        ["children_checked"] = report.ChildrenChecked,
        ["violation_count"] = report.ViolationCount,
        ["violations"] = report.Violations.Select(v => new Dictionary<string, object?>
        {
            ["foreign_key"] = v.ForeignKey,
            ["family"] = v.ChildFamily,
            ["child"] = v.ChildKeyText,
            ["missing_parent"] = v.ParentKeyText,
        }).ToList(),
        ["not_checkable"] = report.NotCheckable,
    };
}
