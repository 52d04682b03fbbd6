using System.Diagnostics;
using LatticeKV.Io;

namespace LatticeKV.Tool.Crash;

/// <summary>What a power-loss run did and found.</summary>
public sealed record PowerLossReport(int Cycles, long Operations, long SyncedOperations, IReadOnlyList<string> Violations)
{
    public bool Ok => Violations.Count == 0;

    /// <summary>Acknowledged batches whose groups lie in more than one column family.</summary>
    public long MultiFamilyBatches { get; init; }

    /// <summary>Acknowledged batches holding a range delete.</summary>
    public long RangeDeleteBatches { get; init; }

    /// <summary>The self-test's planted violation, or null.</summary>
    public string? Injected { get; init; }

    /// <summary>The cycle whose crash received the planted violation, or null.</summary>
    public int? InjectedCycle { get; init; }
}

/// <summary>
/// Power loss, in-process: writers run on a file system that remembers what was fsynced, each
/// owning a range of groups and issuing puts, deletes, range deletes and batches whose groups
/// span column families, some synced. After a random number of acknowledged batches the machine
/// "loses power" (everything not synced is dropped, including directory entries), the database
/// reopens on what survived, and <see cref="PowerOracle"/> checks every group, through point
/// reads and scans in both directions, against the batches each writer issued. Any exception a
/// writer or the close meets is a violation: the cut happens on a copy, so the running database
/// has no reason to fail.
/// </summary>
public sealed class PowerLossTorture(int seed)
{
    private const string Path = "/db";
    private readonly Random _rnd = new(seed);
    private long _nextId = 1;
    private bool _injected;

    public int Threads { get; init; } = 4;
    public int Groups { get; init; } = 240;
    public int ColumnFamilies { get; init; } = 3;

    /// <summary>The power is cut after a random number of acknowledged batches below this.</summary>
    public int MaxBatchesPerCycle { get; init; } = 3000;

    /// <summary>
    /// Self-test only: the violation to plant after a cut, before the verification, into the first
    /// crashed database the oracle judges clean (so that what it then reports is the planted
    /// violation alone, whatever real defect it may also find). The run ends with that cycle.
    /// </summary>
    public Injection Inject { get; init; }

    public Action<string>? Log { get; init; }

    /// <summary>When set, the database is encrypted under this key (<c>--encrypt</c>).</summary>
    public EncryptionOptions? Encryption { get; init; }

    /// <summary>
    /// Runs before every fsync of the simulated disk (given the file's path). Tests throw from it
    /// to show that a writer's failure is reported, never swallowed.
    /// </summary>
    public Action<string>? BeforeSync { get; init; }

    /// <summary>One writer's range of groups and, guarded by the cycle's gate, its batches so far.</summary>
    private sealed class Writer(int first, int end)
    {
        public int First => first;
        public int End => end;
        public List<PowerOp> Ops { get; } = [];
        public int Acked { get; set; }
        public int Durable { get; set; }
    }

    private sealed record Cut(MemFileSystem Survivor, List<WorkerHistory> Histories, List<string> Failures);

    /// <summary>Acknowledged batches, guarded by the cycle's gate while writers run.</summary>
    private sealed class Tally
    {
        public long Batches, Synced, MultiFamily, RangeDeletes;
    }

    public PowerLossReport Run(int cycles, TimeSpan? budget = null)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(Path);
        var violations = new List<string>();
        var clock = Stopwatch.StartNew();
        // Each group's state when a cycle begins (durable: the database was reopened on it), and the newest put ever issued to it.
        var baseline = Enumerable.Range(0, Groups).ToDictionary(g => g, _ => 0L);
        var lastPut = new Dictionary<int, long>();
        var tally = new Tally();
        string? injected = null;
        int? injectedCycle = null;
        int done = 0;
        for (int cycle = 0; cycle < cycles && (violations.Count == 0 || (Inject != Injection.None && !_injected)); cycle++)
        {
            if (budget is { } b && clock.Elapsed > b) break;
            var cut = RunUntilPowerCut(fs, cycle, tally);
            violations.AddRange(cut.Failures.Select(f => ViolationKind.Format(cycle, ViolationKind.WorkloadFailed, f)));
            fs = cut.Survivor;
            if (Inject != Injection.None && !_injected && Verify(fs, cut.Histories, baseline, lastPut, cycle, settle: false).Count == 0
                && Plant(fs, PowerOracle.Settled(baseline, lastPut, cut.Histories)) is { } planted)
            {
                (injected, injectedCycle) = (planted, cycle);
                Log?.Invoke($"power cycle {cycle}: self-test: {planted}");
            }
            violations.AddRange(Verify(fs, cut.Histories, baseline, lastPut, cycle, settle: true));
            foreach (var op in cut.Histories.SelectMany(h => h.Ops))
                foreach (var (g, effect) in op.Effects)
                    if (effect > 0) lastPut[g] = Math.Max(lastPut.GetValueOrDefault(g), effect);
            done++;
            Log?.Invoke($"power cycle {cycle}: {tally.Batches} batches so far ({tally.Synced} synced), {violations.Count} violations");
            if (injectedCycle == cycle) break;
        }
        return new PowerLossReport(done, tally.Batches, tally.Synced, violations)
        {
            MultiFamilyBatches = tally.MultiFamily,
            RangeDeleteBatches = tally.RangeDeletes,
            Injected = injected,
            InjectedCycle = injectedCycle,
        };
    }

    private DbOptions Options(DbOptions options) => TortureEncryption.Apply(options, Encryption, ColumnFamilies);

    private Cut RunUntilPowerCut(MemFileSystem fs, int cycle, Tally tally)
    {
        fs.BeforeSync = BeforeSync;
        var options = Options(new DbOptions
        {
            FileSystem = fs,
            WriteBufferSize = 16 * 1024,
            MaxBytesForLevelBase = 64 * 1024,
            TargetFileSizeBase = 16 * 1024,
            Level0FileNumCompactionTrigger = 2,
        });
        var db = LatticeDb.Open(Path, options);
        var handles = new ColumnFamilyHandle[ColumnFamilies];
        for (int i = 0; i < ColumnFamilies; i++)
            handles[i] = i == 0 ? db.DefaultColumnFamily : db.TryGetColumnFamily(CrashProtocol.ColumnFamily(i), out var h) ? h
                : db.CreateColumnFamily(CrashProtocol.ColumnFamily(i), TortureEncryption.FamilyOptions(Encryption, i, ColumnFamilies));

        var gate = new object();
        var failures = new List<string>();
        int perWriter = Groups / Threads, acknowledged = 0, target = _rnd.Next(50, MaxBatchesPerCycle);
        var writers = Enumerable.Range(0, Threads).Select(t => new Writer(t * perWriter, (t + 1) * perWriter)).ToList();
        bool stop = false;
        var threads = writers.Select((w, t) => new Thread(() =>
        {
            var r = new Random(seed * 31 + cycle * 7 + t);
            while (!Volatile.Read(ref stop))
            {
                var plan = BatchPlan.Next(r, w.First, w.End, ColumnFamilies);
                bool sync = r.Next(5) == 0;
                int[]? ackedAtIssue = null;
                PowerOp op;
                lock (gate)
                {
                    op = plan.Op(_nextId++);
                    w.Ops.Add(op);
                    // What was acknowledged before a synced write is issued precedes it in the log
                    // and becomes durable with it; writes still in flight may follow it.
                    if (sync) ackedAtIssue = [.. writers.Select(x => x.Acked)];
                }
                try
                {
                    db.Write(plan.Batch(op, handles), new WriteOptions { Sync = sync });
                }
                catch (Exception ex)
                {
                    lock (gate)
                    {
                        failures.Add($"writer {t}'s batch {op.Id} threw {ex.GetType().Name}: {ex.Message}");
                        Monitor.PulseAll(gate);
                    }
                    return;
                }
                lock (gate)
                {
                    w.Acked = w.Ops.Count;
                    acknowledged++;
                    tally.Batches++;
                    if (plan.Families > 1) tally.MultiFamily++;
                    if (plan.Range is not null) tally.RangeDeletes++;
                    if (ackedAtIssue is not null)
                    {
                        tally.Synced++;
                        for (int x = 0; x < writers.Count; x++) writers[x].Durable = Math.Max(writers[x].Durable, ackedAtIssue[x]);
                        w.Durable = w.Acked; // the synced write itself
                    }
                    if (acknowledged >= target) Monitor.PulseAll(gate);
                }
            }
        }) { IsBackground = true }).ToList();
        foreach (var th in threads) th.Start();

        MemFileSystem survivor;
        List<WorkerHistory> histories;
        lock (gate)
        {
            while (acknowledged < target && failures.Count == 0)
                if (!Monitor.Wait(gate, TimeSpan.FromMinutes(1)))
                {
                    failures.Add($"the writers stalled: {acknowledged} of {target} batches acknowledged in a minute");
                    break;
                }
            // The cut, while the writers keep going: a batch not yet issued cannot be on this copy.
            survivor = fs.CrashClone(powerLoss: true);
            histories = [.. writers.Select(w => new WorkerHistory(w.First, w.End, [.. w.Ops], w.Durable))];
        }
        Volatile.Write(ref stop, true);
        foreach (var th in threads) th.Join();
        try
        {
            db.Dispose();
        }
        catch (Exception ex)
        {
            failures.Add($"closing the database after the cut threw {ex.GetType().Name}: {ex.Message}");
        }
        return new Cut(survivor, histories, failures);
    }

    /// <summary>Plants the self-test's violation through a read-write open; null when no group fits yet.</summary>
    private string? Plant(MemFileSystem fs, Dictionary<int, SettledGroup> settled)
    {
        try
        {
            using var db = LatticeDb.Open(Path, Options(new DbOptions { FileSystem = fs, CreateIfMissing = false }));
            string? planted = ViolationInjector.Plant(db, Inject, settled, Groups, ColumnFamilies);
            _injected = planted is not null;
            return planted;
        }
        catch (LatticeException)
        {
            return null; // the verification reports a database that does not open
        }
    }

    /// <summary>
    /// Checks the database on the survivor. With <paramref name="settle"/> it opens read-write (the
    /// recovery runs, as it would after a real power cut) and what survived becomes the next
    /// cycle's <paramref name="baseline"/>; without, it opens read-only and changes nothing.
    /// </summary>
    private IReadOnlyList<string> Verify(MemFileSystem fs, List<WorkerHistory> histories, Dictionary<int, long> baseline, Dictionary<int, long> lastPut, int cycle, bool settle)
    {
        try
        {
            var options = Options(new DbOptions { FileSystem = fs, CreateIfMissing = false });
            using var db = settle ? LatticeDb.Open(Path, options) : LatticeDb.OpenReadOnly(Path, options);
            var views = DatabaseReader.Read(db, Enumerable.Range(0, Groups), ColumnFamilies);
            var violations = PowerOracle.Check(views, baseline, lastPut, histories, cycle);
            if (!settle) return violations;
            for (int g = 0; g < Groups; g++) baseline[g] = views[0].Members(g)[0];
            try { db.VerifyChecksums(); }
            catch (CorruptionException ex) { return [.. violations, ViolationKind.Format(cycle, ViolationKind.DamagedValue, "VerifyChecksums: " + ex.Message)]; }
            return violations;
        }
        catch (LatticeException ex)
        {
            return [ViolationKind.Format(cycle, ViolationKind.DoesNotOpen, ex.Message)];
        }
    }
}
