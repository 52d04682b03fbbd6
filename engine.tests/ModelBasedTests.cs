using LatticeKV.Io;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests;

/// <summary>
/// Random histories of puts, deletes, range deletes, batches, snapshot reads, iteration in both
/// directions, flushes, compactions and reopens, checked step by step against an in-memory
/// model. A failure names the seed and step; rerun with LKV_SEED=seed to replay it.
/// </summary>
public class ModelBasedTests(ITestOutputHelper output)
{
    private sealed class Model
    {
        public readonly Dictionary<string, SortedDictionary<byte[], byte[]>> Cfs = [];

        public SortedDictionary<byte[], byte[]> Cf(string name)
        {
            if (!Cfs.TryGetValue(name, out var m)) Cfs[name] = m = new SortedDictionary<byte[], byte[]>(ByteArrayComparer.Instance);
            return m;
        }

        public Model Clone()
        {
            var c = new Model();
            foreach (var (k, v) in Cfs) c.Cfs[k] = new SortedDictionary<byte[], byte[]>(v, ByteArrayComparer.Instance);
            return c;
        }
    }

    [Fact]
    public void RandomOperations_SingleColumnFamily_MatchModel()
        => Run(seed: TestSeed.Get(1001), operations: 100_000 * TestSeed.Scale, columnFamilies: ["default"], writeBuffer: 1 << 20, memFs: false);

    [Fact]
    public void RandomOperations_TinyBuffersManyColumnFamilies_MatchModel()
        => Run(seed: TestSeed.Get(2002), operations: 200_000 * TestSeed.Scale, columnFamilies: ["default", "accounts", "tx", "notes"], writeBuffer: 16 * 1024, memFs: true);

    /// <summary>The same histories on an encrypted database: every family sealed but the last, a plaintext one beside them.</summary>
    [Fact]
    public void RandomOperations_EncryptedDatabase_MatchModel()
        => Run(seed: TestSeed.Get(3003), operations: 25_000 * TestSeed.Scale, columnFamilies: ["default", "accounts", "tx", "notes"], writeBuffer: 16 * 1024, memFs: true, encrypted: true);

    private void Run(int seed, int operations, string[] columnFamilies, long writeBuffer, bool memFs, bool encrypted = false)
    {
        output.WriteLine($"seed={seed} operations={operations} encrypted={encrypted}");
        var rnd = new Random(seed);
        using var dir = new TempDir("model");
        var fs = new MemFileSystem();
        string path = memFs ? "/db" : dir.Path;
        if (memFs) fs.CreateDirectory("/db");
        var options = new DbOptions
        {
            WriteBufferSize = writeBuffer,
            MaxBytesForLevelBase = writeBuffer * 2,
            MaxBytesForLevelMultiplier = 3,
            TargetFileSizeBase = writeBuffer,
            Level0FileNumCompactionTrigger = 2,
            Level0SlowdownWritesTrigger = 8,
            Level0StopWritesTrigger = 12,
            BlockCacheCapacity = 1 << 20,
        };
        if (memFs) options.FileSystem = fs;
        bool Sealed(string cf) => encrypted && cf != columnFamilies[^1];
        if (encrypted)
        {
            options.Encryption = EncryptionOptions.FromKey(Crypto.EncryptionSupport.NewKey());
            options.DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true };
        }
        foreach (var cf in columnFamilies)
            if (cf != "default") options.ColumnFamilyOptions[cf] = new ColumnFamilyOptions { BlockSize = 512 + rnd.Next(4096), Compression = rnd.Next(2) == 0 ? CompressionType.Snappy : CompressionType.None, Encrypted = Sealed(cf) };

        var model = new Model();
        var db = LatticeDb.Open(path, options);
        var handles = new Dictionary<string, ColumnFamilyHandle>();
        void Bind()
        {
            handles.Clear();
            foreach (var cf in columnFamilies)
                handles[cf] = cf == "default" ? db.DefaultColumnFamily : (db.TryGetColumnFamily(cf, out var h) ? h : db.CreateColumnFamily(cf, options.ColumnFamilyOptions[cf]));
        }
        Bind();
        var snapshots = new List<(Snapshot Snap, Model State)>();
        var stats = new Dictionary<string, long>();
        int keySpace = 3000;
        byte[] Key() => KeyFor(rnd.Next(keySpace), rnd);
        byte[] Value()
        {
            int len = rnd.Next(20) == 0 ? rnd.Next(2000, 9000) : rnd.Next(0, 120);
            var v = new byte[len];
            rnd.NextBytes(v);
            // Half-compressible, like real ledger values.
            for (int i = 0; i < len / 2; i++) v[i] = (byte)'a';
            return v;
        }
        string Cf() => columnFamilies[rnd.Next(columnFamilies.Length)];

        try
        {
            for (int step = 0; step < operations; step++)
            {
                string ctx = $"seed={seed} step={step}";
                int op = rnd.Next(1000);
                if (op < 380)
                {
                    string cf = Cf();
                    var k = Key();
                    var v = Value();
                    db.Put(handles[cf], k, v);
                    model.Cf(cf)[k] = v;
                }
                else if (op < 480)
                {
                    string cf = Cf();
                    var k = Key();
                    db.Delete(handles[cf], k);
                    model.Cf(cf).Remove(k);
                }
                else if (op < 485)
                {
                    string cf = Cf();
                    var a = Key();
                    var b = Key();
                    if (ByteArrayComparer.Instance.Compare(a, b) > 0) (a, b) = (b, a);
                    db.DeleteRange(handles[cf], a, b);
                    var m = model.Cf(cf);
                    foreach (var k in m.Keys.Where(k => ByteArrayComparer.Instance.Compare(k, a) >= 0 && ByteArrayComparer.Instance.Compare(k, b) < 0).ToList()) m.Remove(k);
                }
                else if (op < 545)
                {
                    var batch = new WriteBatch();
                    var staged = new List<(string Cf, byte[] K, byte[]? V)>();
                    int n = 1 + rnd.Next(12);
                    for (int i = 0; i < n; i++)
                    {
                        string cf = Cf();
                        var k = Key();
                        if (rnd.Next(4) == 0)
                        {
                            batch.Delete(handles[cf], k);
                            staged.Add((cf, k, null));
                        }
                        else
                        {
                            var v = Value();
                            batch.Put(handles[cf], k, v);
                            staged.Add((cf, k, v));
                        }
                    }
                    db.Write(batch);
                    foreach (var (cf, k, v) in staged)
                    {
                        if (v is null) model.Cf(cf).Remove(k);
                        else model.Cf(cf)[k] = v;
                    }
                }
                else if (op < 800)
                {
                    string cf = Cf();
                    var k = Key();
                    var expected = model.Cf(cf).GetValueOrDefault(k);
                    var actual = db.Get(handles[cf], k);
                    AssertBytes(expected, actual, $"{ctx} get {cf}/{Convert.ToHexString(k)}");
                }
                else if (op < 830)
                {
                    if (snapshots.Count >= 3 || (snapshots.Count > 0 && rnd.Next(3) == 0))
                    {
                        int i = rnd.Next(snapshots.Count);
                        snapshots[i].Snap.Dispose();
                        snapshots.RemoveAt(i);
                    }
                    else
                    {
                        snapshots.Add((db.GetSnapshot(), model.Clone()));
                    }
                }
                else if (op < 880)
                {
                    if (snapshots.Count == 0) continue;
                    var (snap, state) = snapshots[rnd.Next(snapshots.Count)];
                    string cf = Cf();
                    var k = Key();
                    var ro = new ReadOptions { Snapshot = snap };
                    AssertBytes(state.Cf(cf).GetValueOrDefault(k), db.Get(handles[cf], k, ro), $"{ctx} snapshot get");
                    if (rnd.Next(4) == 0) CheckIteration(db, handles[cf], state.Cf(cf), ro, rnd, ctx + " snapshot iter");
                }
                else if (op < 990)
                {
                    string cf = Cf();
                    ReadOptions? ro = null;
                    if (rnd.Next(5) == 0)
                    {
                        var lo = Key();
                        var hi = Key();
                        if (ByteArrayComparer.Instance.Compare(lo, hi) > 0) (lo, hi) = (hi, lo);
                        ro = new ReadOptions { IterateLowerBound = rnd.Next(2) == 0 ? lo : null, IterateUpperBound = hi };
                    }
                    CheckIteration(db, handles[cf], model.Cf(cf), ro, rnd, ctx + " iter");
                }
                else if (op < 994)
                {
                    db.Flush();
                }
                else if (op < 996)
                {
                    if (rnd.Next(3) == 0) db.CompactRange(handles[Cf()]);
                    else
                    {
                        var a = Key();
                        var b = Key();
                        if (ByteArrayComparer.Instance.Compare(a, b) > 0) (a, b) = (b, a);
                        db.CompactRange(handles[Cf()], a, b);
                    }
                }
                else
                {
                    foreach (var (s, _) in snapshots) s.Dispose();
                    snapshots.Clear();
                    Accumulate(stats, db.GetStatistics());
                    db.Dispose();
                    db = LatticeDb.Open(path, options);
                    Bind();
                }
            }
            // Final full comparison after one more reopen.
            foreach (var (s, _) in snapshots) s.Dispose();
            snapshots.Clear();
            Accumulate(stats, db.GetStatistics());
            db.Dispose();
            db = LatticeDb.Open(path, options);
            Bind();
            foreach (var cf in columnFamilies) AssertFullScan(db, handles[cf], model.Cf(cf), $"seed={seed} final {cf}");
            output.WriteLine(string.Join(", ", stats.Select(kv => $"{kv.Key}={kv.Value}")));
            foreach (var cf in columnFamilies) output.WriteLine(cf + ":\n" + db.GetProperty(handles[cf], "lattice.levelstats"));
            Assert.True(stats["flush.count"] > 0, "the history never flushed a memtable");
            Assert.True(stats["compaction.count"] > 0, "the history never compacted");
            if (encrypted)
            {
                // Every table of a sealed family is sealed, and the plaintext family's are not.
                foreach (var cf in columnFamilies)
                {
                    string generations = db.GetProperty(handles[cf], "lattice.encryption.bytes-per-generation") ?? "";
                    output.WriteLine($"{cf}: {generations}");
                    Assert.Matches(Sealed(cf) ? "^(gen[0-9]+=[0-9]+ ?)+$" : "^plaintext=[0-9]+$", generations);
                }
            }
        }
        finally
        {
            foreach (var (s, _) in snapshots) s.Dispose();
            db.Dispose();
        }
    }

    private static void Accumulate(Dictionary<string, long> total, IReadOnlyDictionary<string, long> part)
    {
        foreach (var (k, v) in part) total[k] = total.GetValueOrDefault(k) + v;
    }

    internal static byte[] KeyFor(int n, Random rnd)
    {
        // Keys share prefixes (like "acct/000123") and vary in length so prefix compression and
        // ordering across lengths are exercised.
        string s = (n % 7) switch
        {
            0 => $"acct/{n:D6}",
            1 => $"tx/{n % 97:D2}/{n:D7}",
            2 => $"n{n}",
            _ => $"k{n:D5}",
        };
        _ = rnd;
        return System.Text.Encoding.UTF8.GetBytes(s);
    }

    private static void CheckIteration(LatticeDb db, ColumnFamilyHandle cf, SortedDictionary<byte[], byte[]> model, ReadOptions? ro, Random rnd, string ctx)
    {
        var keys = model.Keys.Where(k => (ro?.IterateLowerBound is null || ByteArrayComparer.Instance.Compare(k, ro.IterateLowerBound) >= 0)
            && (ro?.IterateUpperBound is null || ByteArrayComparer.Instance.Compare(k, ro.IterateUpperBound) < 0)).ToList();
        using var it = db.NewIterator(cf, ro);
        int pos;
        switch (rnd.Next(4))
        {
            case 0:
                it.SeekToFirst();
                pos = 0;
                break;
            case 1:
                it.SeekToLast();
                pos = keys.Count - 1;
                break;
            case 2:
            {
                var target = KeyFor(rnd.Next(3000), rnd);
                it.Seek(target);
                pos = LowerBound(keys, target);
                break;
            }
            default:
            {
                var target = KeyFor(rnd.Next(3000), rnd);
                it.SeekForPrev(target);
                pos = LowerBound(keys, target);
                if (pos >= keys.Count || ByteArrayComparer.Instance.Compare(keys[pos], target) > 0) pos--;
                break;
            }
        }
        int steps = rnd.Next(1, 40);
        for (int i = 0; i < steps; i++)
        {
            bool expectValid = pos >= 0 && pos < keys.Count;
            Assert.True(expectValid == it.Valid, $"{ctx} step {i}: expected valid={expectValid} at model position {pos}/{keys.Count}");
            if (!expectValid) break;
            Assert.True(keys[pos].AsSpan().SequenceEqual(it.Key), $"{ctx} step {i}: key {Convert.ToHexString(it.Key)} != {Convert.ToHexString(keys[pos])}");
            Assert.True(model[keys[pos]].AsSpan().SequenceEqual(it.Value), $"{ctx} step {i}: value mismatch at {Convert.ToHexString(keys[pos])}");
            if (rnd.Next(3) == 0) { it.Prev(); pos--; }
            else { it.Next(); pos++; }
        }
    }

    private static int LowerBound(List<byte[]> keys, byte[] target)
    {
        int lo = 0, hi = keys.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (ByteArrayComparer.Instance.Compare(keys[mid], target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    internal static void AssertFullScan(LatticeDb db, ColumnFamilyHandle cf, SortedDictionary<byte[], byte[]> model, string ctx)
    {
        using var it = db.NewIterator(cf);
        using var e = model.GetEnumerator();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            Assert.True(e.MoveNext(), $"{ctx}: extra key {Convert.ToHexString(it.Key)}");
            Assert.True(e.Current.Key.AsSpan().SequenceEqual(it.Key), $"{ctx}: key {Convert.ToHexString(it.Key)} != {Convert.ToHexString(e.Current.Key)}");
            Assert.True(e.Current.Value.AsSpan().SequenceEqual(it.Value), $"{ctx}: value mismatch at {Convert.ToHexString(it.Key)}");
        }
        Assert.False(e.MoveNext(), $"{ctx}: missing key {(e.Current.Key is null ? "" : Convert.ToHexString(e.Current.Key))}");
    }

    private static void AssertBytes(byte[]? expected, byte[]? actual, string ctx)
    {
        if (expected is null)
        {
            Assert.True(actual is null, $"{ctx}: expected absent, got {actual?.Length} bytes");
            return;
        }
        Assert.True(actual is not null, $"{ctx}: expected {expected.Length} bytes, got absent");
        Assert.True(expected.AsSpan().SequenceEqual(actual), $"{ctx}: value differs");
    }
}
