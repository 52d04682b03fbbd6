using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Report;
using Spectre.Console;

namespace LatticeKV.Tool.Migrate;

/// <summary>
/// <c>lkv migrate DB --status</c>: each column family's schema version and the migration step in
/// progress, read-only. Migrations themselves run when the application opens the database with
/// its <see cref="DbOptions.Migrations"/>; lkv does not know them, so it only reports.
/// </summary>
public static class MigrateCommand
{
    public static Command Create()
    {
        var db = Common.Db();
        var status = new Option<bool>("--status") { Description = "Show the schema versions and any migration in progress (required: lkv only reports)." };
        var json = Common.Json();
        var cmd = new Command("migrate", "Show each column family's schema version and any migration in progress (the database is opened read-only; an encrypted one needs its key). Migrations run when the application opens the database.");
        cmd.Arguments.Add(db);
        cmd.Options.Add(status);
        cmd.Options.Add(json);
        cmd.SetAction(r => Guard.Run(() =>
        {
            if (!r.GetValue(status)) throw new UsageException("lkv migrate only reports: give --status (migrations run when the application opens the database with its DbOptions.Migrations).");
            using var database = Common.OpenReadOnly(r.GetValue(db)!, r);
            var versions = database.ColumnFamilies.Select(f => (f.Name, Version: database.GetSchemaVersion(f))).ToList();
            var progress = database.MigrationInProgress;
            // A position is a user key: shown only when the database is not encrypted.
            string? position = progress?.Position is { } p ? (database.HasEncryption ? null : Convert.ToHexStringLower(p)) : null;
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["versions"] = versions.ToDictionary(v => v.Name, v => v.Version),
                    ["in_progress"] = progress is null ? null : new Dictionary<string, object?>
                    {
                        ["step"] = progress.StepName,
                        ["phase"] = progress.Phase.ToString(),
                        ["pass"] = progress.Pass,
                        ["position"] = position,
                        ["entries_done"] = progress.EntriesDone,
                    },
                }, JsonModel.Options));
                return ExitCodes.Ok;
            }
            var console = Terminal.Out;
            var table = new Table().Title("Schema versions").AddColumns("Column family", "Version");
            table.Columns[1].RightAligned();
            foreach (var (name, version) in versions) table.AddRow(Markup.Escape(name), version.ToString(CultureInfo.InvariantCulture));
            console.Write(table);
            if (progress is null)
            {
                console.WriteLine("No migration in progress.");
                return ExitCodes.Ok;
            }
            string shownPosition = progress.Position is null ? "start of the pass" : position ?? $"{progress.Position.Length} bytes (not shown: the database is encrypted)";
            console.WriteLine($"Migration in progress: step '{progress.StepName}', phase {progress.Phase}, pass {progress.Pass}, position {shownPosition}, entries done {progress.EntriesDone.ToString(CultureInfo.InvariantCulture)}.");
            console.WriteLine("The next open with the application's migrations resumes it.");
            return ExitCodes.Ok;
        }));
        return cmd;
    }
}
