using System.CommandLine;
using System.Diagnostics;
using LatticeKV.Tool.Cli;
using LatticeKV.Tool.Crash;
using LatticeKV.Tool.Crash.States;
using Spectre.Console;

namespace LatticeKV.Tool.Commands;

/// <summary>
/// <c>lkv torture</c>: crash torture in the manner of RocksDB's db_crashtest. Kill mode runs the
/// workload in a child process and kills it with SIGKILL at random moments; power mode cuts the
/// power under an in-process workload on a file system that drops unsynced data.
/// <c>--self-test</c> shows that the oracles catch what they claim to (<see cref="OracleSelfTest"/>).
/// </summary>
public static class TortureCommand
{
    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "How long to run.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Random seed (printed; rerun with it to replay).", DefaultValueFactory = _ => Environment.TickCount & 0xFFFF };
        var mode = new Option<string>("--mode") { Description = "kill, power, or both (alternating); or states (crash states of recorded traces).", DefaultValueFactory = _ => "both" };
        var dir = new Option<string?>("--dir")
        {
            Description = "Working directory for kill mode: its database goes in DIR/kill, which must not exist yet, and is kept afterwards "
                + "(default: a new temporary directory, deleted afterwards).",
        };
        var selfTest = new Option<bool>("--self-test") { Description = "Check the oracles instead: plant each known violation after a crash and require exit code 30 naming it." };
        var encrypt = new Option<bool>("--encrypt")
        {
            Description = "Torture an encrypted database: a random master key kept only in memory (handed to each crash child on its standard input); "
                + "every column family encrypted but the last, which stays plaintext. Kill and power modes.",
        };
        var inject = new Option<string?>("--inject") { Description = "Self-test: the violation to plant (lost-write, half-applied, resurrected-delete, stray-key).", Hidden = true };
        var cmd = new Command("torture", "Crash the database again and again and check that no acknowledged write is lost and no batch is half-applied.");
        foreach (var o in new Option[] { minutes, seed, mode, dir, selfTest, encrypt, inject }) cmd.Options.Add(o);
        cmd.SetAction(r => Guard.Run(() =>
        {
            if (r.GetValue(selfTest)) return OracleSelfTest.Run(r.GetValue(seed), Path.Combine(AppContext.BaseDirectory, "lkv.dll"));
            string m = r.GetValue(mode)!;
            if (m is not ("kill" or "power" or "both" or "states")) throw new UsageException("--mode must be kill, power, both or states.");
            if (r.GetValue(minutes) is not (> 0 and <= 7 * 24 * 60)) throw new UsageException("--minutes must be more than 0 and at most a week.");
            if (r.GetValue(KeyOptions.PassphraseFile) is not null || r.GetValue(KeyOptions.KeyFile) is not null)
                throw new UsageException("torture makes its own database and key: use --encrypt instead of --passphrase-file or --key-file.");
            if (r.GetValue(encrypt) && m == "states") throw new UsageException("--encrypt applies to the kill and power modes.");
            if (m == "states") return StatesTorture.Run(TimeSpan.FromMinutes(r.GetValue(minutes)), r.GetValue(seed), r.GetValue(dir));
            var injection = Injection.None;
            if (r.GetValue(inject) is { } name && (!Injections.TryParse(name, out injection) || m == "both"))
                throw new UsageException("--inject takes lost-write, half-applied, resurrected-delete or stray-key, with --mode kill or power.");
            return Run(TimeSpan.FromMinutes(r.GetValue(minutes)), r.GetValue(seed), m, r.GetValue(dir), injection, r.GetValue(encrypt));
        }));
        return cmd;
    }

    public static int Run(TimeSpan duration, int seed, string mode, string? dir, Injection inject = Injection.None, bool encrypt = false)
    {
        // A directory the user names is only added to (its kill/ must be new) and never deleted;
        // only the temporary directory made here is.
        string root;
        if (dir is null)
        {
            root = Directory.CreateTempSubdirectory($"lkv-torture-{seed}-").FullName;
        }
        else
        {
            root = Path.GetFullPath(dir);
            if (File.Exists(root)) throw new UsageException($"--dir '{root}' is a file, not a directory.");
            if (Path.Exists(Path.Combine(root, "kill")))
                throw new UsageException($"--dir '{root}' already holds 'kill' (an earlier run's database?); torture writes only into a new one. Nothing was changed: choose another --dir.");
            Directory.CreateDirectory(root);
        }
        var encryption = encrypt ? TortureEncryption.NewRandom() : null;
        AnsiConsole.MarkupLine($"[bold]lkv torture[/] seed [blue]{seed}[/], mode {mode}, {duration.TotalMinutes:F1} minutes, {(encrypt ? "encrypted" : "plaintext")}, in {Markup.Escape(root)}");
        string child = Path.Combine(AppContext.BaseDirectory, "lkv.dll");
        var clock = Stopwatch.StartNew();
        int killCycles = 0, powerCycles = 0;
        long killOps = 0, inFlight = 0, powerOps = 0, syncedOps = 0;
        var violations = new List<string>();
        var killReport = new CrashReport(0, 0, 0, 0, []);
        long multiFamily = 0, rangeDeletes = 0;
        string? injected = null;
        int? injectedCycle = null;
        int round = 0;
        // One harness for the whole run: it alone knows what the kill-mode database must hold.
        var harness = new CrashHarness(Path.Combine(root, "kill"), seed, child) { Inject = inject, Encryption = encryption };
        try
        {
            // A self-test run ends with the cycle that received the planted violation.
            while (clock.Elapsed < duration && violations.Count == 0 && injectedCycle is null)
            {
                // Alternate modes in slices of a sixth of the run (2 s to 60 s each).
                double sliceSeconds = Math.Clamp(duration.TotalSeconds / 6, 2, 60);
                var slice = TimeSpan.FromSeconds(Math.Max(1, Math.Min(sliceSeconds, (duration - clock.Elapsed).TotalSeconds)));
                if (mode is "kill" || (mode is "both" && round % 2 == 0))
                {
                    var report = harness.Run(int.MaxValue, slice);
                    killReport = killReport.Then(report);
                    (injected, injectedCycle) = (injected ?? report.Injected, injectedCycle ?? report.InjectedCycle);
                    killCycles += report.Cycles;
                    killOps += report.OperationsAcked;
                    inFlight += report.OperationsInFlightAtKill;
                    violations.AddRange(report.Violations);
                }
                else
                {
                    var report = new PowerLossTorture(seed + round) { Inject = inject, Encryption = encryption?.Options }.Run(int.MaxValue, slice);
                    (injected, injectedCycle) = (injected ?? report.Injected, injectedCycle ?? report.InjectedCycle);
                    multiFamily += report.MultiFamilyBatches;
                    rangeDeletes += report.RangeDeleteBatches;
                    powerCycles += report.Cycles;
                    powerOps += report.Operations;
                    syncedOps += report.SyncedOperations;
                    violations.AddRange(report.Violations);
                }
                round++;
                AnsiConsole.MarkupLine($"{clock.Elapsed:hh\\:mm\\:ss}  kills {killCycles} ({killOps:N0} acknowledged), power cuts {powerCycles} ({powerOps:N0} writes, {syncedOps:N0} synced), violations {violations.Count}");
            }
        }
        finally
        {
            if (dir is null) Directory.Delete(root, recursive: true);
        }
        var table = new Table().AddColumns("", "Value");
        table.AddRow("seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("database", encrypt ? "encrypted (random in-memory key; every column family but the last sealed)" : "plaintext");
        table.AddRow("duration", clock.Elapsed.ToString(@"hh\:mm\:ss", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("kill cycles (SIGKILL)", killCycles.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("operations acknowledged before kills", killOps.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("operations in flight at kills", inFlight.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("kills by phase", string.Join(", ", killReport.KillsByPhase.Select(kv => $"{KillPhases.Describe(kv.Key)} {kv.Value:N0}")));
        table.AddRow("largest log a killed open replayed", $"{killReport.LargestLogUnderKilledOpen / 1024:N0} KiB");
        table.AddRow("power cuts", powerCycles.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        table.AddRow("writes under power cuts (synced)", $"{powerOps:N0} ({syncedOps:N0})");
        table.AddRow("of which across column families, with range deletes", $"{multiFamily:N0}, {rangeDeletes:N0}");
        if (inject != Injection.None) table.AddRow("self-test: planted", Markup.Escape(injected is null ? "nothing (no clean crash with a group that fits)" : $"in cycle {injectedCycle}: {injected}"));
        table.AddRow("verification", violations.Count == 0 ? "[green]passed: no acknowledged write lost, no batch half-applied, no stray or resurrected key[/]" : $"[red]{violations.Count} violations[/]");
        AnsiConsole.Write(table);
        // A self-test run shows what the oracle said of the planted cycle first.
        var shown = violations.OrderBy(v => injectedCycle is int c && v.StartsWith($"cycle {c}: ", StringComparison.Ordinal) ? 0 : 1);
        foreach (var v in shown.Take(20)) AnsiConsole.MarkupLine("[red]" + Markup.Escape(v) + "[/]");
        return violations.Count == 0 ? ExitCodes.Ok : ExitCodes.TortureViolation;
    }
}
