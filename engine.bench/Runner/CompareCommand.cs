using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LatticeKV.Bench.Engines;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// <c>compare</c>: runs every selected engine through the selected workloads, each engine in its
/// own child process (so process-level counters such as bytes written and peak RSS belong to
/// one engine), then prints a Markdown table and writes JSON.
/// </summary>
public static class CompareCommand
{
    public static readonly string[] Engines = ["latticekv", "rocksdb", "zonetree", "sqlite"];
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    /// <summary>
    /// Workloads bound by the disk's fsync rate, which drifts over minutes on a shared machine:
    /// they run in rounds that alternate the engines (fillsync right after an fsync probe in the
    /// same child), and each engine's median round is reported.
    /// </summary>
    private static readonly string[] FsyncBound = ["fillsync", "fillsync16"];

    public static int Run(string[] args)
    {
        long num = LongArg(args, "--num", 1_000_000);
        var engines = ListArg(args, "--engines", Engines);
        // --encrypt: encrypted LatticeKV runs beside the others, in the same rounds.
        if (args.Contains("--encrypt") && !engines.Contains("latticekv-enc")) engines = [.. engines.Take(1), "latticekv-enc", .. engines.Skip(1)];
        // --autobackup: LatticeKV with automatic backups (every --backup-interval-ms) beside the others, likewise.
        if (args.Contains("--autobackup") && !engines.Contains("latticekv-autobackup")) engines = [.. engines.Take(1), "latticekv-autobackup", .. engines.Skip(1)];
        var workloads = ListArg(args, "--workloads", Workloads.All);
        string outDir = StringArg(args, "--out", "bench-results");
        string root = StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-bench"));
        int rounds = (int)Math.Max(1, LongArg(args, "--sync-rounds", 5));
        int readRounds = (int)Math.Max(1, LongArg(args, "--read-rounds", 5));
        int writeRounds = (int)Math.Max(1, LongArg(args, "--write-rounds", 1));
        bool cold = !args.Contains("--no-cold");
        // Every child gets the same budgets and settings.
        string[] common = ["--cache-mb", LongArg(args, "--cache-mb", 256).ToString(CultureInfo.InvariantCulture),
            "--write-buffer-mb", LongArg(args, "--write-buffer-mb", 64).ToString(CultureInfo.InvariantCulture),
            "--nice", LongArg(args, "--nice", 0).ToString(CultureInfo.InvariantCulture),
            "--read-api", StringArg(args, "--read-api", "least"), "--reads", LongArg(args, "--reads", num).ToString(CultureInfo.InvariantCulture),
            "--backup-interval-ms", LongArg(args, "--backup-interval-ms", DefaultBackupIntervalMs).ToString(CultureInfo.InvariantCulture),
            // latticekv-autobackup's AutoBackupOptions.ThreadNice (-1: unset, the compaction threads' nice) and BytesPerSecond (0: no limit).
            "--backup-nice", LongArg(args, "--backup-nice", -1).ToString(CultureInfo.InvariantCulture),
            "--backup-mb-per-s", LongArg(args, "--backup-mb-per-s", 0).ToString(CultureInfo.InvariantCulture),
            // --warmup-jit-quiet: each child waits after its warm-up until the JIT is idle (Workloads.QuietJitAfterWarmUp).
            .. args.Contains("--warmup-jit-quiet") ? ["--warmup-jit-quiet"] : Array.Empty<string>(),
            // --autobackup: the LatticeKV children's warm-ups alike, with and without backups (SymmetricBackupWarmUp).
            .. args.Contains("--autobackup") ? [SymmetricBackupWarmUp] : Array.Empty<string>()];
        Directory.CreateDirectory(outDir);
        var synced = rounds > 1 ? workloads.Where(FsyncBound.Contains).ToArray() : [];
        var reads = readRounds > 1 ? workloads.Where(Workloads.ReadOnlyOnFilled.Contains).ToArray() : [];
        // With --write-rounds R, the writing workloads (fillrandom, overwrite, ...) also run in R
        // alternating rounds, each engine's median reported: a fill of 1M takes a second or two,
        // so one minute's noise on a shared machine would otherwise land on one engine only.
        var writes = writeRounds > 1 ? workloads.Where(Workloads.Writing.Contains).Except(synced).ToArray() : [];
        var others = workloads.Except(synced).Except(reads).Except(writes).ToArray();
        var suites = new Dictionary<string, SuiteResult>();
        // fillsync measures the fsync probe just before itself, in its child after the warm-up:
        // the disk's rate drifts by a third within a minute here.
        var probes = new List<FsyncProbe.Rates>();
        void CollectProbes(SuiteResult suite) => probes.AddRange(suite.Results.Select(x => x.ProbeBefore).OfType<FsyncProbe.Rates>());
        foreach (var engine in engines)
        {
            if (others.Length == 0) break;
            Console.WriteLine($"{engine}: {string.Join(", ", others)} with N = {num:N0}");
            var suite = RunChild(engine, others, num, root, outDir, common);
            if (suite is null) return 1;
            suites[engine] = suite;
            CollectProbes(suite);
        }
        bool coldReads = cold && workloads.Contains("readrandom");
        if (reads.Length > 0 || coldReads)
        {
            // Each engine's database is filled once, in a child of its own, and kept; every round
            // then opens it in a new child, warms up and reads.
            var kept = engines.ToDictionary(e => e, e => Path.Combine(root, "kept-" + e));
            try
            {
                foreach (var engine in engines)
                {
                    Console.WriteLine($"{engine}: filling the database the read rounds share");
                    if (RunChild(engine, [], num, root, outDir, [.. common, "--fill-kept", kept[engine]]) is null) return 1;
                }
                if (reads.Length > 0 && !RunRounds(reads, readRounds, "--use-kept", kept)) return 1;
                // What a short-lived process sees: the first reads of a new process, with neither
                // the JIT nor the cache warmed.
                if (coldReads && !RunCold("readrandom", ["--use-kept"], kept)) return 1;
            }
            finally
            {
                foreach (var path in kept.Values) Workloads.DeleteDatabase(path);
            }
        }
        if (writes.Length > 0 && !RunRounds(writes, writeRounds, null, null)) return 1;
        if (synced.Length > 0 && !RunRounds(synced, rounds, null, null)) return 1;
        if (cold && workloads.Contains("fillrandom") && !RunCold("fillrandom", null, null)) return 1;

        // One child per engine that runs a single workload first thing, without the warm-up;
        // reported as "<workload> (fresh process)".
        bool RunCold(string workload, string[]? keptFlag, Dictionary<string, string>? keptPaths)
        {
            foreach (var engine in engines)
            {
                Console.WriteLine($"{engine}: {workload} first thing in a fresh process, no warm-up");
                string[] extra = [.. common, "--cold", .. keptFlag is null ? Array.Empty<string>() : [keptFlag[0], keptPaths![engine]]];
                var suite = RunChild(engine, [workload], num, root, outDir, extra);
                if (suite is null) return false;
                var renamed = suite.Results.Select(r => r with { Workload = r.Workload + ColdSuffix });
                suites[engine] = suites.TryGetValue(engine, out var main)
                    ? main with { Results = [.. main.Results, .. renamed] }
                    : new SuiteResult(engine, suite.Settings, [.. renamed]);
            }
            return true;
        }

        // Runs the workloads in rounds, a child per engine per round, alternating the engines
        // (in reverse order every other round, so no engine always follows the same one), and
        // merges each engine's median round into its suite.
        bool RunRounds(string[] roundWorkloads, int count, string? keptFlag, Dictionary<string, string>? keptPaths)
        {
            var byEngine = engines.ToDictionary(e => e, _ => new List<SuiteResult>());
            for (int r = 1; r <= count; r++)
            {
                foreach (var engine in r % 2 == 1 ? engines : Enumerable.Reverse(engines))
                {
                    Console.WriteLine($"{engine}: {string.Join(", ", roundWorkloads)}, round {r} of {count}");
                    string[] extra = keptFlag is null ? common : [.. common, keptFlag, keptPaths![engine]];
                    var suite = RunChild(engine, roundWorkloads, num, root, outDir, extra);
                    if (suite is null) return false;
                    // Each round's own result stays beside the merged one: its counters are not only the median round's.
                    // The read rounds' under a name of their own: the write rounds, which run after them, would replace them.
                    string kind = keptFlag is null ? "" : "-reads";
                    File.Copy(Path.Combine(outDir, $"{engine}.json"), Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{engine}{kind}-r{r}.json")), overwrite: true);
                    byEngine[engine].Add(suite);
                    CollectProbes(suite);
                }
            }
            foreach (var engine in engines)
            {
                var roundSuites = byEngine[engine];
                var medians = roundWorkloads.Select(w => MedianRound(roundSuites.Select(s => s.Results.Single(x => x.Workload == w)).ToList()));
                var merged = suites.TryGetValue(engine, out var main) ? main.Results.Concat(medians) : medians;
                suites[engine] = new SuiteResult(engine, main?.Settings ?? roundSuites[0].Settings,
                    merged.OrderBy(x => OrderOf(workloads, x.Workload)).ToList());
            }
            return true;
        }
        if (probes.Count == 0) probes.Add(FsyncProbe.Measure(root, TimeSpan.FromSeconds(3)));
        var fsync = new FsyncProbe.Rates(probes.Select(p => p.Appending).Order().ElementAt(probes.Count / 2),
            probes.Select(p => p.Preallocated).Order().ElementAt(probes.Count / 2));
        var ordered = engines.Select(e => suites[e]).ToList();
        File.WriteAllText(Path.Combine(outDir, "fsync-rate.txt"), string.Create(CultureInfo.InvariantCulture, $"{fsync.Appending:F0} {fsync.Preallocated:F0}"));
        string markdown = Report.Markdown(ordered, num, fsync);
        Console.WriteLine(markdown);
        File.WriteAllText(Path.Combine(outDir, "results.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(ordered, s_indented));
        File.WriteAllText(Path.Combine(outDir, "results.svg"), SvgChart.Render(ordered, num));
        Console.WriteLine($"Wrote {outDir}/results.md, results.json and results.svg");
        return 0;
    }

    /// <summary>
    /// The round with the median ops/s, its note naming every round's rate and, where each round
    /// measured the fsync probe just before itself, its rate as a share of that probe and the
    /// median share.
    /// </summary>
    private static WorkloadResult MedianRound(List<WorkloadResult> rounds)
    {
        var median = rounds.OrderBy(r => r.OpsPerSecond).ElementAt(rounds.Count / 2);
        string all = string.Join(" / ", rounds.Select(r => r.OpsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));
        string note = $"median of {rounds.Count} rounds ({all} ops/s)";
        if (rounds.All(r => r.ProbeBefore is not null))
        {
            var shares = rounds.Select(r => r.OpsPerSecond / r.ProbeBefore!.Preallocated).ToList();
            static string Percent(double x) => (x * 100).ToString("F0", CultureInfo.InvariantCulture) + "%";
            string each = string.Join(" / ", shares.Select(Percent));
            note += $"; of the probe just before each round: {each}, median {Percent(shares.Order().ElementAt(shares.Count / 2))}";
        }
        var sustained = rounds.Select(r => r.SustainedOpsPerSecond).OfType<double>().Order().ToList();
        return median with
        {
            Note = median.Note.Length == 0 ? note : $"{median.Note}; {note}",
            RoundRates = [.. rounds.Select(r => r.OpsPerSecond)],
            SustainedOpsPerSecond = sustained.Count == rounds.Count ? sustained[sustained.Count / 2] : median.SustainedOpsPerSecond,
            SustainedRoundRates = sustained.Count == rounds.Count ? [.. rounds.Select(r => r.SustainedOpsPerSecond!.Value)] : null,
        };
    }

    /// <summary>
    /// Passed to every child of a <c>compare --autobackup</c>; acted on by the LatticeKV engines only
    /// (the other engines' warm-up and method are unchanged). The automatic-backup engine's warm-up
    /// takes 60 backups between small writes with a flush every fourth, so its flush and compaction
    /// code is optimized before its fill while the plain engine's is not (its own fill promotes it),
    /// and the backups' first calls leave the runtime's background compiler a backlog that would
    /// otherwise land in the measured fill: the plain engine's warm-up runs the same writes and
    /// flushes without the backups, and both then wait until the JIT is idle.
    /// </summary>
    internal const string SymmetricBackupWarmUp = "--symmetric-backup-warmup";

    /// <summary>Interval of latticekv-autobackup's automatic backups unless --backup-interval-ms says otherwise.</summary>
    private const long DefaultBackupIntervalMs = 1000;

    /// <summary>Appended to a workload run first thing in a fresh process, without the warm-up.</summary>
    public const string ColdSuffix = " (fresh process)";

    private static int OrderOf(string[] workloads, string workload)
    {
        int i = Array.IndexOf(workloads, workload.Replace(ColdSuffix, "", StringComparison.Ordinal));
        return workload.EndsWith(ColdSuffix, StringComparison.Ordinal) ? workloads.Length + i : i;
    }

    /// <summary>Runs one engine's workloads in a child process; null (after reporting) if it failed.</summary>
    private static SuiteResult? RunChild(string engine, string[] workloads, long num, string root, string outDir, string[]? extra = null)
    {
        string resultFile = Path.Combine(outDir, $"{engine}.json");
        var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet") psi.ArgumentList.Add(typeof(CompareCommand).Assembly.Location);
        foreach (var a in new[] { "run-suite", "--engine", engine, "--num", num.ToString(CultureInfo.InvariantCulture), "--workloads", string.Join(',', workloads), "--dir", Path.Combine(root, engine), "--result", resultFile })
            psi.ArgumentList.Add(a);
        foreach (var a in extra ?? []) psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            Console.Error.WriteLine($"{engine} failed with exit code {child.ExitCode}");
            return null;
        }
        return JsonSerializer.Deserialize<SuiteResult>(File.ReadAllText(resultFile))!;
    }

    /// <summary><c>report --out DIR</c>: renders results.md and results.svg again from DIR/results.json.</summary>
    public static int Rerender(string[] args)
    {
        string outDir = StringArg(args, "--out", "bench-results");
        var suites = JsonSerializer.Deserialize<List<SuiteResult>>(File.ReadAllText(Path.Combine(outDir, "results.json")))!;
        long num = suites.SelectMany(s => s.Results).Where(r => r.Workload == "fillrandom").Select(r => r.Operations).DefaultIfEmpty(0).First();
        string rateFile = Path.Combine(outDir, "fsync-rate.txt");
        FsyncProbe.Rates? fsync = null;
        if (File.Exists(rateFile) && File.ReadAllText(rateFile).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var a, var p])
            fsync = new FsyncProbe.Rates(double.Parse(a, CultureInfo.InvariantCulture), double.Parse(p, CultureInfo.InvariantCulture));
        string markdown = Report.Markdown(suites, num, fsync);
        File.WriteAllText(Path.Combine(outDir, "results.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "results.svg"), SvgChart.Render(suites, num));
        Console.WriteLine(markdown);
        return 0;
    }

    /// <summary><c>fsync-probe --out DIR</c>: measures the machine's fsync rates alone and stores them for <c>report</c>.</summary>
    public static int ProbeOnly(string[] args)
    {
        string outDir = StringArg(args, "--out", "bench-results");
        string root = StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-bench"));
        Directory.CreateDirectory(outDir);
        var fsync = FsyncProbe.Measure(root, TimeSpan.FromSeconds(3));
        File.WriteAllText(Path.Combine(outDir, "fsync-rate.txt"), string.Create(CultureInfo.InvariantCulture, $"{fsync.Appending:F0} {fsync.Preallocated:F0}"));
        Console.WriteLine($"append + fsync: {fsync.Appending:N0}/s; overwrite preallocated + fsync: {fsync.Preallocated:N0}/s");
        return 0;
    }

    /// <summary>The child side: one engine, all workloads, results to a JSON file.</summary>
    public static int RunSuite(string[] args)
    {
        string engineName = StringArg(args, "--engine", "latticekv");
        long num = LongArg(args, "--num", 1_000_000);
        var workloads = ListArg(args, "--workloads", Workloads.All);
        string dir = StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-bench", engineName));
        string result = StringArg(args, "--result", engineName + ".json");
        Directory.CreateDirectory(dir);
        var budget = new EngineSettings(LongArg(args, "--cache-mb", 256) << 20, LongArg(args, "--write-buffer-mb", 64) << 20,
            (int)LongArg(args, "--nice", 0), StringArg(args, "--read-api", "least") == "array" ? ReadApi.Array : ReadApi.LeastAllocating);
        bool cold = args.Contains("--cold");
        var backupInterval = TimeSpan.FromMilliseconds(LongArg(args, "--backup-interval-ms", DefaultBackupIntervalMs));
        bool symmetric = args.Contains(SymmetricBackupWarmUp) && engineName is "latticekv" or "latticekv-autobackup";
        long backupNice = LongArg(args, "--backup-nice", -1);
        string settings = "";
        IEngine Open(string path, long? writeBuffer)
        {
            var s = writeBuffer is { } wb ? budget with { WriteBufferBytes = wb } : budget;
            IEngine e = engineName switch
            {
                "latticekv" => new LatticeEngine(path, s, flushesAsAutoBackupWarmUp: symmetric),
                "latticekv-enc" => new LatticeEngine(path, s, encrypted: true),
                "latticekv-2k" => new LatticeEngine(path, s, blockSize: 2048),
                "latticekv-autobackup" => new LatticeEngine(path, s, autoBackupInterval: backupInterval, backupNice: backupNice >= 0 ? (int)backupNice : null,
                    backupBytesPerSecond: LongArg(args, "--backup-mb-per-s", 0) << 20),
                "rocksdb" => new RocksDbEngine(path, s),
                "rocksdb-2k" => new RocksDbEngine(path, s, blockSize: 2048),
                "zonetree" => new ZoneTreeEngine(path, s),
                "sqlite" => new SqliteEngine(path, s),
                _ => throw new ArgumentException($"unknown engine '{engineName}'"),
            };
            settings = e.Settings;
            return e;
        }
        var runner = new Workloads(Open, dir, num, Console.WriteLine, LongArg(args, "--reads", num)) { QuietJitAfterWarmUp = args.Contains("--warmup-jit-quiet") || symmetric };
        string fillKept = StringArg(args, "--fill-kept", "");
        string useKept = StringArg(args, "--use-kept", "");
        if (fillKept.Length > 0)
        {
            runner.FillAndKeep(fillKept);
            workloads = [];
        }
        else if (!args.Contains("--no-warmup") && !cold) runner.WarmUp();
        var results = new List<WorkloadResult>();
        try
        {
            if (useKept.Length > 0) runner.UseKeptFill(useKept, warmCache: !cold);
            foreach (var w in workloads) results.Add(runner.Run(w));
        }
        finally
        {
            runner.Cleanup();
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
        File.WriteAllText(result, JsonSerializer.Serialize(new SuiteResult(engineName, settings, results)));
        return 0;
    }

    internal static string StringArg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    internal static long LongArg(string[] args, string name, long fallback)
        => long.TryParse(StringArg(args, name, ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : fallback;

    internal static string[] ListArg(string[] args, string name, string[] fallback)
    {
        string s = StringArg(args, name, "");
        return s.Length == 0 ? fallback : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
