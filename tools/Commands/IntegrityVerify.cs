using System.CommandLine;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv verify DB --integrity</c>: every constraint over all data, as of one snapshot
/// (<see cref="LatticeDb.VerifyIntegrity"/>): the foreign keys and every family's stored validator.
/// Keys are shown as the engine words them: never the bytes of an encrypted database. A foreign
/// key whose custom extractor, or a validator whose delegate or class, the tool cannot run is
/// reported as not checkable.
/// </summary>
public static class IntegrityVerify
{
    private const int MaxListed = 100;

    public static Option<bool> Option() => new("--integrity")
    {
        Description = "Also check every constraint over all data (foreign keys: every child's parent exists; validators: every value passes its family's). Exit code 17 when one is broken.",
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

    public static int ExitCode(IntegrityReport report) => Holds(report) ? ExitCodes.Ok : ExitCodes.VerifyIntegrityViolated;

    /// <summary>No violation of either kind (what could not be checked is noted, not counted).</summary>
    private static bool Holds(IntegrityReport report) => report.ViolationCount == 0 && report.ValidationViolationCount == 0;

    public static void Render(IntegrityReport report)
    {
        var console = Terminal.Out;
        if (Holds(report))
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[green]constraints hold[/]: {report.ChildrenChecked:N0} child entries, {report.ValuesChecked:N0} validated values checked."));
        if (report.ViolationCount > 0)
        {
            var table = new Table().Title(string.Create(CultureInfo.InvariantCulture, $"[red]{report.ViolationCount} foreign key violation(s)[/]")).AddColumns("Foreign key", "Family", "Child", "Missing parent");
            foreach (var v in report.Violations) table.AddRow(Markup.Escape(v.ForeignKey), Markup.Escape(v.ChildFamily), Markup.Escape(v.ChildKeyText), Markup.Escape(v.ParentKeyText));
            console.Write(table);
            if (report.Truncated) console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]first {report.Violations.Count} listed.[/]"));
        }
        if (report.ValidationViolationCount > 0)
        {
            var table = new Table().Title(string.Create(CultureInfo.InvariantCulture, $"[red]{report.ValidationViolationCount} value(s) refused by their family's validator[/]")).AddColumns("Family", "Key", "Reason");
            foreach (var v in report.ValidationViolations) table.AddRow(Markup.Escape(v.ColumnFamily), Markup.Escape(v.KeyText), Markup.Escape(v.Reason));
            console.Write(table);
            if (report.ValidationTruncated) console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[grey]first {report.ValidationViolations.Count} listed.[/]"));
        }
        foreach (var n in report.NotCheckable) console.MarkupLine("[yellow]not checkable[/]: " + Markup.Escape(n));
    }

    public static Dictionary<string, object?> Json(IntegrityReport report) => new()
    {
        ["consistent"] = Holds(report),
        ["children_checked"] = report.ChildrenChecked,
        ["violation_count"] = report.ViolationCount,
        ["violations"] = report.Violations.Select(v => new Dictionary<string, object?>
        {
            ["foreign_key"] = v.ForeignKey,
            ["family"] = v.ChildFamily,
            ["child"] = v.ChildKeyText,
            ["missing_parent"] = v.ParentKeyText,
        }).ToList(),
        ["values_checked"] = report.ValuesChecked,
        ["validation_violation_count"] = report.ValidationViolationCount,
        ["validation_violations"] = report.ValidationViolations.Select(v => new Dictionary<string, object?>
        {
            ["family"] = v.ColumnFamily,
            ["key"] = v.KeyText,
            ["reason"] = v.Reason,
        }).ToList(),
        ["not_checkable"] = report.NotCheckable,
    };
}
