using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>What a crash run did and found.</summary>
public sealed record CrashReport(int Cycles, long OperationsAcked, long OperationsInFlightAtKill, int GroupsChecked, IReadOnlyList<string> Violations)
{
    public bool Ok => Violations.Count == 0;

    /// <summary>How many kills landed in each phase of the child's life.</summary>
    public IReadOnlyDictionary<KillPhase, int> KillsByPhase { get; init; } = new Dictionary<KillPhase, int>();

    /// <summary>The most log bytes on disk when an open that was then killed began (what it had to replay).</summary>
    public long LargestLogUnderKilledOpen { get; init; }

    /// <summary>Checks that found a group holding its acknowledged put: what the oracle confirmed, not merely failed to contradict.</summary>
    public long ConfirmedPuts { get; init; }

    /// <summary>The self-test's planted violation, or null.</summary>
    public string? Injected { get; init; }

    /// <summary>The cycle whose crash received the planted violation, or null.</summary>
    public int? InjectedCycle { get; init; }

    /// <summary>The kills that landed while the child was opening (replay, recovery flush, or after the recovery edit).</summary>
    public int KillsDuringOpen => KillsByPhase.Where(kv => kv.Key is KillPhase.LogReplay or KillPhase.RecoveryFlush or KillPhase.FinishingOpen).Sum(kv => kv.Value);

    /// <summary>This run followed by <paramref name="later"/>, on the same harness.</summary>
    public CrashReport Then(CrashReport later) => new(Cycles + later.Cycles, OperationsAcked + later.OperationsAcked,
        OperationsInFlightAtKill + later.OperationsInFlightAtKill, later.GroupsChecked, [.. Violations, .. later.Violations])
    {
        KillsByPhase = Enum.GetValues<KillPhase>().ToDictionary(p => p, p => KillsByPhase.GetValueOrDefault(p) + later.KillsByPhase.GetValueOrDefault(p)),
        LargestLogUnderKilledOpen = Math.Max(LargestLogUnderKilledOpen, later.LargestLogUnderKilledOpen),
        ConfirmedPuts = ConfirmedPuts + later.ConfirmedPuts,
        Injected = Injected ?? later.Injected,
        InjectedCycle = InjectedCycle ?? later.InjectedCycle,
    };
}

/// <summary>
/// Runs the workload in child processes, kills each with SIGKILL, reopens the database read-only
/// and checks it against the expected state this parent keeps (<see cref="KillOracle"/>, also
/// written to <c>expected-state.txt</c> beside the database after every cycle) through point
/// reads and full scans of every column family in both directions. Most kills land at a random
/// moment of the workload. Some cycles instead start an episode: one child writes a large log
/// over more groups than usual, then the next children are killed while they open, aimed by what
/// each says of its open (<see cref="OpenWatcher"/>) into the replay of that log, the recovery
/// flush, or what follows the new MANIFEST. A killed open leaves the log in place, so each
/// attempt replays the same one; the episode ends when a kill lands after the open. The
/// read-only verification leaves the log for the child's own open to recover.
/// </summary>
public sealed class CrashHarness(string dbPath, int seed, string childAssembly)
{
    // What the kills of an episode aim at, in turn.
    private static readonly KillPhase[] s_episodeTargets =
        [KillPhase.LogReplay, KillPhase.RecoveryFlush, KillPhase.LogReplay, KillPhase.RecoveryFlush, KillPhase.FinishingOpen];
    // A large log's child writes over this many times the usual groups, so that the recovery
    // flush has more distinct keys to write.
    private const int GrowLogGroupFactor = 4;

    private readonly KillOracle _oracle = new();
    private readonly Random _rnd = new(seed);
    private long _nextId = 1;
    private int _cycle;
    private OpenEpisode? _episode;
    private bool _injected;

    public int Threads { get; init; } = 4;
    public int Groups { get; init; } = 400;
    public int ColumnFamilies { get; init; } = 3;
    public bool Sync { get; init; }
    public int MinRunMs { get; init; } = 40;
    public int MaxRunMs { get; init; } = 400;

    /// <summary>
    /// A file holding a 32-byte master key, outside the database directory: the children (given it
    /// as <c>--key-file</c>) open the database encrypted, its families sealed as
    /// <see cref="TortureEncryption.IsEncrypted"/> says, and the verification opens it with it.
    /// </summary>
    public string? KeyFile { get; init; }

    /// <summary>
    /// Aims the kills of writing cycles at table writes: the child is killed just after a flush or
    /// compaction creates a table file (at the random moment when none does in time).
    /// </summary>
    public bool KillInTableWrites { get; init; }

    /// <summary>The chance that a cycle starts an episode of kills aimed into open (0 turns them off).</summary>
    public double OpenKillShare { get; init; } = 0.1;

    /// <summary>
    /// Self-test only: the violation to plant after a kill, before the verification, into the
    /// first crashed database the oracle judges clean (so that what it then reports is the planted
    /// violation alone, whatever real defect it may also find). The run ends with that cycle.
    /// </summary>
    public Injection Inject { get; init; }

    public Action<string>? Log { get; init; }

    /// <summary>When set, the database is encrypted under this run's in-memory key (<c>--encrypt</c>).</summary>
    public TortureEncryption? Encryption { get; init; }

    private enum Plan
    {
        /// <summary>Kill at a random moment once the workload is writing.</summary>
        Write,
        /// <summary>Write longer with a large write buffer and no flushes, for the next opens to replay.</summary>
        GrowLog,
        /// <summary>Kill while the child opens, aimed at the episode's next target phase.</summary>
        KillInOpen,
    }

    private sealed record ChildRun(long Acked, List<InFlightOp> Pending, KillPhase Phase, bool Opening, double? ReplayMs, string? Failure);

    /// <summary>Kills aimed into the opens that replay one large log.</summary>
    private sealed class OpenEpisode(bool largeLog)
    {
        /// <summary>Whether the children open with the large write buffer (one long recovery flush) or the small one (flushes during replay).</summary>
        public bool LargeLog => largeLog;

        public int Attempt { get; set; }

        public KillPhase Target => s_episodeTargets[Attempt];

        /// <summary>How long the replay of this log took when an attempt saw it end (a first guess until then).</summary>
        public double ReplayMs { get; set; } = 30;
    }

    /// <summary>
    /// Runs up to <paramref name="cycles"/> kill cycles. Calling it again continues on the same
    /// database with the expected state carried over, so a long torture run keeps one growing
    /// database (with deeper levels) instead of starting afresh.
    /// </summary>
    public CrashReport Run(int cycles, TimeSpan? budget = null)
    {
        var violations = new List<string>();
        var phases = Enum.GetValues<KillPhase>().ToDictionary(p => p, _ => 0);
        var clock = Stopwatch.StartNew();
        long acked = 0, inFlight = 0, largestLog = 0, confirmed = 0;
        string? injected = null;
        int? injectedCycle = null;
        int done = 0;
        for (int i = 0; i < cycles && (violations.Count == 0 || (Inject != Injection.None && !_injected)); i++)
        {
            if (budget is { } b && clock.Elapsed > b) break;
            int cycle = _cycle++;
            var plan = _episode is not null ? Plan.KillInOpen : cycle > 0 && _rnd.NextDouble() < OpenKillShare ? Plan.GrowLog : Plan.Write;
            var filesBefore = DatabaseFiles();
            long logBytes = filesBefore.Where(f => f.EndsWith(".log", StringComparison.Ordinal)).Sum(f => new FileInfo(Path.Combine(dbPath, f)).Length);

            bool episodeLargeLog = _episode?.LargeLog ?? false;
            var run = RunChildUntilKilled(cycle, plan);
            var phase = run.Opening ? KillPhases.OfKilledOpen(filesBefore, DatabaseFiles()) : run.Phase;
            phases[phase]++;
            if (run.Opening) largestLog = Math.Max(largestLog, logBytes);
            if (plan == Plan.GrowLog) _episode = new OpenEpisode(largeLog: _rnd.Next(2) == 0);
            else if (plan == Plan.KillInOpen)
            {
                if (run.ReplayMs is { } replayMs) _episode!.ReplayMs = replayMs;
                // A kill after the open ends the episode: the open consumed the log.
                _episode = run.Opening && ++_episode!.Attempt < s_episodeTargets.Length ? _episode : null;
            }
            acked += run.Acked;
            inFlight += run.Pending.Count;
            if (run.Failure is not null) violations.Add(ViolationKind.Format(cycle, ViolationKind.WorkloadFailed, run.Failure));

            if (Inject != Injection.None && !_injected && Verify(run.Pending, cycle, settle: false).Violations.Count == 0 && Plant(run.Pending) is { } planted)
            {
                (injected, injectedCycle) = (planted, cycle);
                Log?.Invoke($"cycle {cycle}: self-test: {planted}");
            }
            var (found, confirmedPuts) = Verify(run.Pending, cycle, settle: true);
            violations.AddRange(found);
            confirmed += confirmedPuts;
            WriteExpectedState(cycle);
            done++;
            string buffer = plan == Plan.KillInOpen ? (episodeLargeLog ? ", large write buffer" : ", small write buffer") : "";
            Log?.Invoke($"cycle {cycle} ({plan}{buffer}): killed in {KillPhases.Describe(phase)}, {run.Acked} acknowledged, {run.Pending.Count} in flight, " +
                $"{logBytes / 1024} KiB of log at open, {violations.Count} violations");
            if (injectedCycle == cycle) break;
        }
        return new CrashReport(done, acked, inFlight, _oracle.Expected.Count, violations)
        {
            KillsByPhase = phases,
            LargestLogUnderKilledOpen = largestLog,
            ConfirmedPuts = confirmed,
            Injected = injected,
            InjectedCycle = injectedCycle,
        };
    }

    private ChildRun RunChildUntilKilled(int cycle, Plan plan)
    {
        var psi = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            childAssembly, "crash-child", dbPath,
            "--seed", (seed * 1000 + cycle).ToString(CultureInfo.InvariantCulture),
            "--first-batch", _nextId.ToString(CultureInfo.InvariantCulture),
            "--groups", (plan == Plan.GrowLog ? Groups * GrowLogGroupFactor : Groups).ToString(CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(CultureInfo.InvariantCulture),
            "--column-families", ColumnFamilies.ToString(CultureInfo.InvariantCulture),
        }) psi.ArgumentList.Add(a);
        if (Sync) psi.ArgumentList.Add("--sync");
        if (KeyFile is not null)
        {
            psi.ArgumentList.Add("--key-file");
            psi.ArgumentList.Add(KeyFile);
        }
        if (plan == Plan.GrowLog || (plan == Plan.KillInOpen && _episode!.LargeLog)) psi.ArgumentList.Add("--large-log");
        psi.Environment.Remove(Cli.KeyOptions.PassphraseVariable); // the child has this run's key or none
        if (Encryption is not null)
        {
            psi.ArgumentList.Add("--key-file");
            psi.ArgumentList.Add("-");
            psi.RedirectStandardInput = true;
        }

        using var child = Process.Start(psi) ?? throw new InvalidOperationException("could not start the crash child");
        if (Encryption is { } encryption)
        {
            try
            {
                child.StandardInput.Write(encryption.KeyText);
                child.StandardInput.Close();
            }
            catch (IOException) { } // the child is already gone: its exit and standard error say why
        }
        var transcript = new ChildTranscript(_oracle, ColumnFamilies);
        var reader = new Thread(() => transcript.ReadAll(child.StandardOutput)) { IsBackground = true };
        reader.Start();
        var stderr = child.StandardError.ReadToEndAsync();

        int wait;
        if (plan == Plan.KillInOpen)
        {
            // Into the replay at a random moment; into the flush just after it begins (it is short); at once after the MANIFEST.
            var (signal, window) = _episode!.Target switch
            {
                KillPhase.LogReplay => (transcript.Opening, (int)_episode.ReplayMs),
                KillPhase.RecoveryFlush => (transcript.Replayed, 3),
                _ => (transcript.Edited, 1),
            };
            signal.Wait(TimeSpan.FromSeconds(20));
            wait = _rnd.Next(Math.Max(1, window));
        }
        else
        {
            transcript.FirstAck.Wait(TimeSpan.FromSeconds(20));
            wait = plan == Plan.GrowLog ? _rnd.Next(2 * MaxRunMs, 4 * MaxRunMs) : _rnd.Next(MinRunMs, MaxRunMs);
            if (plan == Plan.Write && KillInTableWrites)
            {
                WaitForTableCreated(wait * 4);
                wait = 0; // kill at once
            }
        }
        bool exited = child.WaitForExit(wait);
        if (!exited)
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        reader.Join();
        _nextId = Math.Max(_nextId, transcript.LastId + 1);

        var phase = transcript.Phase;
        string? failure = transcript.Failure;
        if (exited) failure ??= $"the child exited by itself (code {child.ExitCode}): {stderr.Result}";
        else if (phase is null) failure ??= "the child never started opening: " + stderr.Result;
        else if (plan != Plan.KillInOpen && transcript.Acked == 0) failure ??= "nothing was acknowledged before the kill: " + stderr.Result;
        return new ChildRun(transcript.Acked, exited ? [] : transcript.InFlight, phase ?? KillPhase.LogReplay,
            Opening: !exited && phase == KillPhase.LogReplay, transcript.ReplayMs, failure);
    }

    /// <summary>Waits until a flush or compaction of the child creates a table file, or at most <paramref name="maxMs"/>.</summary>
    private void WaitForTableCreated(int maxMs)
    {
        using var created = new ManualResetEventSlim();
        using var watcher = new FileSystemWatcher(dbPath, "*.sst");
        watcher.Created += (_, _) => created.Set();
        watcher.EnableRaisingEvents = true;
        created.Wait(maxMs);
    }

    /// <summary>Plants the self-test's violation through a read-write open; null when no group fits yet.</summary>
    private string? Plant(List<InFlightOp> pending)
    {
        try
        {
            using var db = LatticeDb.Open(dbPath, Options());
            string? planted = ViolationInjector.Plant(db, Inject, _oracle.Settled(pending), Groups * GrowLogGroupFactor, ColumnFamilies);
            _injected = planted is not null;
            return planted;
        }
        catch (LatticeException)
        {
            return null; // the verification reports a database that does not open
        }
    }

    /// <summary>Checks the crashed database; with <paramref name="settle"/>, in-flight operations that survived count as acknowledged afterwards.</summary>
    private (IReadOnlyList<string> Violations, int ConfirmedPuts) Verify(List<InFlightOp> pending, int cycle, bool settle)
    {
        LatticeDb db;
        try
        {
            db = LatticeDb.OpenReadOnly(dbPath, Options());
        }
        catch (LatticeException ex)
        {
            return ([ViolationKind.Format(cycle, ViolationKind.DoesNotOpen, ex.Message)], 0);
        }
        using (db)
        {
            var views = DatabaseReader.Read(db, _oracle.Known(pending), ColumnFamilies);
            var result = _oracle.Check(views, pending, cycle);
            if (settle) _oracle.AcknowledgeSurvivors(views[0], pending);
            return result;
        }
    }

    /// <summary>Options for the parent's own opens of the crashed database.</summary>
    private DbOptions Options()
        => TortureEncryption.Apply(new DbOptions { CreateIfMissing = false },
            Encryption?.Options ?? (KeyFile is not null ? EncryptionOptions.FromKey(File.ReadAllBytes(KeyFile)) : null), ColumnFamilies);

    private List<string> DatabaseFiles() => Directory.Exists(dbPath) ? [.. Directory.EnumerateFiles(dbPath).Select(Path.GetFileName).OfType<string>()] : [];

    private void WriteExpectedState(int cycle)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# expected state after cycle {cycle}, seed {seed}: group = operation id (0 = absent)\n");
        foreach (var (g, v) in _oracle.Expected.OrderBy(kv => kv.Key)) sb.Append(CultureInfo.InvariantCulture, $"{g} = {v}\n");
        // Beside the database's own files (the engine ignores files it does not know).
        File.WriteAllText(Path.Combine(dbPath, "expected-state.txt"), sb.ToString());
    }
}
