using System.Diagnostics;
using LatticeKV.Io;

namespace LatticeKV.Tool.Crash;

/// <summary>What a power-loss run did and found.</summary>
public sealed record PowerLossReport(int Cycles, long Operations, long SyncedOperations, IReadOnlyList<string> Violations)
{
    public bool Ok => Violations.Count == 0;
}

/// <summary>
/// Power loss, in-process: the workload runs on a file system that remembers what was fsynced;
/// at a random moment the machine "loses power" (everything not synced is dropped, including
/// directory entries), the database reopens on what survived, and every group must hold a state
/// no older than what the last completed synced write made durable (a synced write makes every
/// write acknowledged before it durable too), with all its keys agreeing.
/// </summary>
public sealed class PowerLossTorture(int seed)
{
    private const string Path = "/db";
    public int Threads { get; init; } = 4;
    public int Groups { get; init; } = 200;
    public int ColumnFamilies { get; init; } = 2;
    public Action<string>? Log { get; init; }

    public PowerLossReport Run(int cycles, TimeSpan? budget = null)
    {
        var rnd = new Random(seed);
        var fs = new MemFileSystem();
        fs.CreateDirectory(Path);
        var violations = new List<string>();
        var clock = Stopwatch.StartNew();
        long operations = 0, synced = 0, nextId = 1;
        // Per group: every state it may legally hold after a crash, oldest first; index 0 is durable.
        var history = Enumerable.Range(0, Groups).ToDictionary(g => g, _ => new List<long> { 0 });
        int done = 0;
        for (int cycle = 0; cycle < cycles && violations.Count == 0; cycle++)
        {
            if (budget is { } b && clock.Elapsed > b) break;
            var gate = new object();
            var durableIndex = Enumerable.Range(0, Groups).ToDictionary(g => g, _ => 0);
            // Per group, the history index of its last acknowledged write. One thread writes each
            // group, so acknowledged writes are a prefix of the group's history.
            var ackedIndex = Enumerable.Range(0, Groups).ToDictionary(g => g, _ => 0);
            var options = new DbOptions
            {
                FileSystem = fs,
                WriteBufferSize = 16 * 1024,
                MaxBytesForLevelBase = 64 * 1024,
                TargetFileSizeBase = 16 * 1024,
                Level0FileNumCompactionTrigger = 2,
            };
            var db = LatticeDb.Open(Path, options);
            var handles = new ColumnFamilyHandle[ColumnFamilies];
            for (int i = 0; i < ColumnFamilies; i++)
                handles[i] = i == 0 ? db.DefaultColumnFamily : db.TryGetColumnFamily(CrashProtocol.ColumnFamily(i), out var h) ? h : db.CreateColumnFamily(CrashProtocol.ColumnFamily(i));
            bool stop = false;
            var workers = new List<Thread>();
            int perThread = Groups / Threads;
            for (int t = 0; t < Threads; t++)
            {
                int lo = t * perThread, worker = t;
                workers.Add(new Thread(() =>
                {
                    var r = new Random(seed * 31 + cycle * 7 + worker);
                    while (!Volatile.Read(ref stop))
                    {
                        var chosen = Enumerable.Range(0, 1 + r.Next(3)).Select(_ => lo + r.Next(perThread)).Distinct().ToList();
                        bool delete = r.Next(8) == 0, sync = r.Next(5) == 0;
                        long id;
                        Dictionary<int, int>? candidate = null;
                        var mine = new Dictionary<int, int>();
                        lock (gate)
                        {
                            id = nextId++;
                            foreach (int g in chosen)
                            {
                                history[g].Add(delete ? 0 : id);
                                mine[g] = history[g].Count - 1;
                            }
                            // What was acknowledged before a synced write is issued precedes it in the
                            // log and becomes durable with it; writes still in flight may follow it.
                            if (sync) candidate = new Dictionary<int, int>(ackedIndex);
                        }
                        var batch = new WriteBatch();
                        foreach (int g in chosen)
                            for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
                            {
                                var cf = handles[CrashProtocol.ColumnFamilyIndex(g, ColumnFamilies)];
                                if (delete) batch.Delete(cf, CrashProtocol.Key(g, m));
                                else batch.Put(cf, CrashProtocol.Key(g, m), CrashProtocol.Value(id, m));
                            }
                        try { db.Write(batch, new WriteOptions { Sync = sync }); }
                        catch (LatticeException) { return; }
                        catch (ObjectDisposedException) { return; }
                        lock (gate)
                        {
                            operations++;
                            foreach (var (g, index) in mine) ackedIndex[g] = index;
                            if (candidate is null) continue;
                            synced++;
                            foreach (var (g, index) in candidate) durableIndex[g] = Math.Max(durableIndex[g], index);
                            foreach (var (g, index) in mine) durableIndex[g] = Math.Max(durableIndex[g], index); // the synced write itself
                        }
                    }
                }) { IsBackground = true });
            }
            foreach (var w in workers) w.Start();
            Thread.Sleep(rnd.Next(20, 300)); // let the workload run a random while before the power cut
            MemFileSystem survivor;
            Dictionary<int, List<long>> allowed;
            lock (gate)
            {
                survivor = fs.CrashClone(powerLoss: true);
                allowed = history.ToDictionary(kv => kv.Key, kv => kv.Value.Skip(durableIndex[kv.Key]).ToList());
            }
            Volatile.Write(ref stop, true);
            foreach (var w in workers) w.Join();
            try { db.Dispose(); } catch (LatticeException) { }

            fs = survivor;
            try
            {
                using var reopened = LatticeDb.Open(Path, new DbOptions { FileSystem = fs });
                for (int g = 0; g < Groups; g++)
                {
                    var cf = reopened.GetColumnFamily(CrashProtocol.ColumnFamily(g, ColumnFamilies));
                    var states = Enumerable.Range(0, CrashProtocol.KeysPerGroup).Select(m => reopened.Get(cf, CrashProtocol.Key(g, m)) is { } v ? CrashProtocol.ParseValue(v) : 0).Distinct().ToList();
                    if (states.Count != 1) violations.Add($"cycle {cycle}: group {g} is half-applied ({string.Join(",", states)})");
                    else if (!allowed[g].Contains(states[0]))
                        violations.Add($"cycle {cycle}: group {g} holds {states[0]}, but only {string.Join(",", allowed[g])} were possible after the power cut");
                    history[g] = [states[0]];
                }
                reopened.VerifyChecksums();
            }
            catch (LatticeException ex)
            {
                violations.Add($"cycle {cycle}: the database does not open after a power cut: {ex.Message}");
            }
            done++;
            Log?.Invoke($"power cycle {cycle}: {operations} operations so far, {violations.Count} violations");
        }
        return new PowerLossReport(done, operations, synced, violations);
    }
}
