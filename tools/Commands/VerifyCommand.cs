using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv verify DB [--repair-from BACKUPDIR]</c>: a full checksum and consistency scan. Exit code 0
/// when healthy, else the code of the most serious kind of damage found (10 MANIFEST, 11 table
/// damaged, 12 table missing, 13 log damaged: the smallest code wins). With <c>--repair-from</c>,
/// damaged and missing tables the backup holds are replaced with their verified copies first, and
/// the exit code is that of the damage that remains.
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var json = new Option<bool>("--json") { Description = "Write the result as JSON." };
        var repairFrom = new Option<string?>("--repair-from")
        {
            Description = "A backup directory: every damaged or missing table it holds (the same file, matched by database id, number, size and checksum) "
                + "is verified and put in place. The database must not be open. The exit code is that of the damage that remains.",
            HelpName = "BACKUPDIR",
        };
        var cmd = new Command("verify", "Read every byte of the MANIFEST, every live table and every log still needed, checking checksums and consistency; "
            + "name every damaged file. An encrypted database needs its key: every sealed record and block is authenticated. Exit codes: 0 healthy, 10 CURRENT/MANIFEST damaged, 11 table damaged, 12 table missing, 13 log damaged, 14 index inconsistent, 17 a foreign key broken (--integrity).");
        cmd.Arguments.Add(db);
        cmd.Options.Add(json);
        cmd.Options.Add(repairFrom);
        var integrity = IntegrityVerify.Option();
        cmd.Options.Add(integrity);
        cmd.SetAction(r => Guard.Run(() =>
        {
            string path = r.GetValue(db)!;
            var encryption = KeyOptions.From(r);
            string? backup = r.GetValue(repairFrom);
            if (backup is not null && !Directory.Exists(backup)) throw new PathNotFoundException(backup);
            Func<Action<VerifyProgress>?, VerifyReport> run = backup is null
                ? p => DatabaseVerifier.Verify(path, encryption, p)
                : p => DatabaseVerifier.VerifyAndRepair(path, backup, encryption, p);
            var report = Terminal.CanShowProgress ? WithProgress(run) : run(null);
            var indexes = report.IsHealthy ? VerifyIndexes(path, r) : null;
            var constraints = report.IsHealthy && r.GetValue(integrity) ? IntegrityVerify.Run(path, r) : null;
            if (r.GetValue(json))
            {
                var model = Json(report);
                if (indexes is not null) model["indexes"] = indexes.Select(Indexes.IndexVerifyCommand.Json).ToList();
                if (constraints is not null) model["integrity"] = IntegrityVerify.Json(constraints);
                Console.Out.WriteLine(JsonSerializer.Serialize(model, JsonModel.Options));
            }
            else
            {
                Render(report);
                if (indexes is not null) Indexes.IndexVerifyCommand.Render(indexes);
                if (constraints is not null) IntegrityVerify.Render(constraints);
            }
            int code = ExitCode(report);
            if (code == ExitCodes.Ok && indexes is not null) code = Indexes.IndexVerifyCommand.ExitCode(indexes);
            return code == ExitCodes.Ok && constraints is not null ? IntegrityVerify.ExitCode(constraints) : code;
        }));
        return cmd;
    }

    /// <summary>Every index checked against its primary data, when the files are intact (null when the database is open elsewhere).</summary>
    private static IReadOnlyList<IndexVerification>? VerifyIndexes(string path, ParseResult r)
    {
        try
        {
            using var database = Common.OpenReadOnly(path, r);
            return database.VerifyIndexes();
        }
        catch (DbLockedException)
        {
            Terminal.Err.MarkupLine("[grey]note: indexes not checked: the database is open in another process.[/]");
            return null;
        }
    }

    public static int ExitCode(VerifyReport report) => report.Problems.Count == 0 ? ExitCodes.Ok : report.Problems.Min(p => p.Kind switch
    {
        VerifyProblemKind.ManifestDamaged => ExitCodes.VerifyManifest,
        VerifyProblemKind.TableDamaged or VerifyProblemKind.BlobDamaged => ExitCodes.VerifyTableDamaged,
        VerifyProblemKind.TableMissing => ExitCodes.VerifyTableMissing,
        _ => ExitCodes.VerifyLogDamaged,
    });

    private static VerifyReport WithProgress(Func<Action<VerifyProgress>?, VerifyReport> run)
    {
        VerifyReport? report = null;
        Terminal.Err.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("verifying", maxValue: 1);
                report = run(p =>
                {
                    task.MaxValue = Math.Max(1, p.BytesTotal);
                    task.Value = p.BytesDone;
                    task.Description = Markup.Escape(Path.GetFileName(p.File));
                });
                task.Value = task.MaxValue;
            });
        return report!;
    }

    private static void Render(VerifyReport report)
    {
        var console = Terminal.Out;
        foreach (var h in report.Healings)
        {
            if (h.Healed) console.MarkupLine("[green]healed[/]: " + Markup.Escape($"{h.FilePath} ({h.Damage}): {h.Detail}"));
            else console.MarkupLine("[red]not healed[/]: " + Markup.Escape($"{h.FilePath}: {h.Detail}"));
        }
        if (report.RecordedHealings.Count > 0)
        {
            int healed = report.RecordedHealings.Count(h => h.Healed);
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[grey]recorded healings[/]: {healed} table(s) replaced from a backup, {report.RecordedHealings.Count - healed} attempt(s) failed; the latest:"));
            foreach (var h in report.RecordedHealings.TakeLast(5))
                console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"  {h.Time:O} {Path.GetFileName(h.FilePath)} {(h.Healed ? "healed" : "not healed")}: {h.Damage} -> {h.Detail}")));
        }
        if (report.IsHealthy)
        {
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]healthy[/]: {report.TablesChecked} tables and {report.LogsChecked} logs verified, {report.EntriesChecked:N0} entries, {Sizes.Format(report.BytesChecked)}."));
        }
        else
        {
            var table = new Table().Title($"[red]{report.Problems.Count} damaged[/]").AddColumns("Kind", "File", "Offset", "Problem");
            foreach (var p in report.Problems)
                table.AddRow(p.Kind.ToString(), Markup.Escape(p.FilePath), p.Offset < 0 ? "-" : p.Offset.ToString(CultureInfo.InvariantCulture), Markup.Escape(p.Message));
            console.Write(table);
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{report.TablesChecked} tables and {report.LogsChecked} logs read intact. [bold]lkv repair[/] rebuilds the database from what is intact."));
        }
        foreach (var n in report.Notes) console.MarkupLine("[grey]note: " + Markup.Escape(n) + "[/]");
    }

    private static Dictionary<string, object?> Json(VerifyReport r) => new()
    {
        ["healthy"] = r.IsHealthy,
        ["exit_code"] = ExitCode(r),
        ["tables_checked"] = r.TablesChecked,
        ["logs_checked"] = r.LogsChecked,
        ["entries_checked"] = r.EntriesChecked,
        ["bytes_checked"] = r.BytesChecked,
        ["problems"] = r.Problems.Select(p => new Dictionary<string, object?>
        {
            ["kind"] = p.Kind.ToString(),
            ["file"] = p.FilePath,
            ["offset"] = p.Offset,
            ["message"] = p.Message,
        }).ToList(),
        ["notes"] = r.Notes,
        ["healings"] = r.Healings.Select(h => Json(h)).ToList(),
        ["recorded_healings"] = r.RecordedHealings.Select(h => Json(h)).ToList(),
    };

    private static Dictionary<string, object?> Json(TableHealing h) => new()
    {
        ["file"] = h.FilePath,
        ["number"] = h.FileNumber,
        ["healed"] = h.Healed,
        ["damage"] = h.Damage,
        ["detail"] = h.Detail,
        ["time"] = h.Time,
    };
}
