using System.Diagnostics;
using System.Globalization;
using LatticeKV.Tool.Cli;
using Spectre.Console;

namespace LatticeKV.Tool.Crash.States;

/// <summary>
/// <c>lkv torture --mode states</c>: records the workload again and again (a new seed each
/// round), explores each trace's crash states under both models, and prints how many crash
/// points and distinct states were checked and what was found. States that break the promise are
/// kept on disk, one directory each, so they can be opened, dumped or verified.
/// </summary>
internal static class StatesTorture
{
    public static int Run(TimeSpan duration, int seed, string? dir)
    {
        // A directory the user names is only added to: its states/ must be new, and is kept.
        string root;
        if (dir is null)
        {
            root = Directory.CreateTempSubdirectory($"lkv-states-{seed}-").FullName;
        }
        else
        {
            root = Path.Combine(Path.GetFullPath(dir), "states");
            if (Path.Exists(root))
                throw new UsageException($"--dir '{Path.GetFullPath(dir)}' already holds 'states' (an earlier run's?); torture writes only into a new one. Nothing was changed: choose another --dir.");
            Directory.CreateDirectory(root);
        }
        AnsiConsole.MarkupLine($"[bold]lkv torture[/] seed [blue]{seed}[/], mode states, {duration.TotalMinutes:F1} minutes, in {Markup.Escape(root)}");
        var clock = Stopwatch.StartNew();
        int rounds = 0, points = 0, states = 0, nonPrefix = 0, outOfOrder = 0, violations = 0;
        long operations = 0;
        var messages = new List<string>();
        bool keep = dir is not null;
        try
        {
            while (clock.Elapsed < duration)
            {
                int round = rounds++;
                int roundSeed = seed + round;
                string db = Path.Combine(root, $"round-{round}");
                Directory.CreateDirectory(db);
                var (ops, history) = new StatesWorkload(roundSeed).Run(db);
                var trace = new CrashTrace(ops);
                Directory.Delete(db, recursive: true);
                var report = new CrashStateExplorer(trace, history, db, roundSeed)
                {
                    CrashPoints = 120,
                    StatesPerPoint = 24,
                    Budget = duration - clock.Elapsed,
                }.Run();
                operations += ops.Count;
                points += report.CrashPoints;
                states += report.DistinctStates;
                nonPrefix += report.NonPrefixStates;
                outOfOrder += report.OutOfOrderStates;
                violations += report.ViolationCount;
                messages.AddRange(report.Violations.Select(v => $"round {round} (workload seed {roundSeed}): {v}"));
                for (int i = 0; i < report.FailingStates.Count; i++)
                {
                    var (state, violation) = report.FailingStates[i];
                    Save(state, $"{state.Describe(trace)}{Environment.NewLine}{violation}", Path.Combine(root, $"failing-{round}-{i}"));
                    keep = true;
                }
                AnsiConsole.MarkupLine($"{clock.Elapsed:hh\\:mm\\:ss}  round {round} (seed {roundSeed}): {ops.Count:N0} operations recorded, {report.CrashPoints} crash points, "
                    + $"{report.DistinctStates:N0} distinct states ({string.Join(", ", report.DistinctByModel.Select(kv => $"{kv.Key} {kv.Value:N0}"))}), "
                    + $"{report.NonPrefixStates:N0} beyond prefixes, violations {report.ViolationCount}");
            }
        }
        finally
        {
            if (!keep) Directory.Delete(root, recursive: true);
        }
        var table = new Table().AddColumns("", "Value");
        table.AddRow("seed", seed.ToString(CultureInfo.InvariantCulture));
        table.AddRow("duration", clock.Elapsed.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture));
        table.AddRow("workloads recorded", rounds.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("file-system operations recorded", operations.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("crash points", points.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("distinct crash states opened", states.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("of which no prefix model gives", nonPrefix.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("of the violations: unsynced batches lost out of order", outOfOrder.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("verification", violations == 0 ? "[green]passed: every synced write present, every batch whole, every state opens without repair[/]" : $"[red]{violations} violations[/]");
        AnsiConsole.Write(table);
        foreach (var m in messages.Take(20)) AnsiConsole.MarkupLine("[red]" + Markup.Escape(m) + "[/]");
        if (violations > 0) AnsiConsole.MarkupLine($"failing states kept in {Markup.Escape(root)}");
        return violations == 0 ? ExitCodes.Ok : ExitCodes.TortureViolation;
    }

    /// <summary>Writes a state's files into the directory <paramref name="path"/>, and beside it a note saying which state it is.</summary>
    internal static void Save(CrashState state, string description, string path)
    {
        Directory.CreateDirectory(path);
        foreach (var (name, bytes) in state.Files) File.WriteAllBytes(Path.Combine(path, name), bytes);
        File.WriteAllText(path + ".txt", description + Environment.NewLine);
    }
}
