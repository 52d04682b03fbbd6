using LatticeKV.Io;
using LatticeKV.Memtable;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// Flushed memtables hand their arena chunks to the next memtables, but only once no reader can
/// reach them: an iterator or a snapshot read that started before the flush keeps seeing the
/// memtable's own bytes however much is written after it.
/// </summary>
public class MemTableLifetimeTests
{
    [Fact]
    public void Unref_LastReference_ReturnsChunksToThePool()
    {
        var pool = new ArenaChunkPool(1 << 20);
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 1, pool);
        for (int i = 0; i < 100; i++) m.Add((ulong)i + 1, Keys.ValueKind.Value, B($"k{i:D3}"), new byte[100]);
        m.Ref();
        m.Ref();
        m.Unref();
        Assert.Equal(0, pool.Bytes);           // still referenced
        m.Unref();
        Assert.True(pool.Bytes >= 4096 * 2, $"{pool.Bytes} bytes returned");
        Assert.Throws<InvalidOperationException>(m.Unref);
        var again = pool.Rent(4096);
        Assert.Equal(4096, again.Length);
    }

    [Fact]
    public void IteratorOpenAcrossFlushes_WhileLaterWritesReuseChunks_SeesItsOwnData()
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.WriteBufferSize = 64 * 1024);
        using var db = LatticeDb.Open(DbPath, options);
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < 300; i++)
        {
            string k = $"old{i:D4}", v = new string((char)('a' + i % 26), 120);
            db.Put(B(k), B(v));
            expected[k] = v;
        }
        using var it = db.NewIterator();
        using var snapshot = db.GetSnapshot();
        it.Seek(B("old"));
        // Many memtables' worth of other data, flushed in between: freed chunks are reused.
        for (int round = 0; round < 6; round++)
        {
            for (int i = 0; i < 2000; i++) db.Put(B($"new{round}-{i:D5}"), B(new string('z', 120)));
            db.Flush();
        }
        var seen = new List<(string, string)>();
        for (; it.Valid; it.Next())
        {
            string key = S(it.Key.ToArray())!;
            if (!key.StartsWith("old", StringComparison.Ordinal)) break;
            seen.Add((key, S(it.Value.ToArray())!));
        }
        Assert.Equal(expected.Select(kv => (kv.Key, kv.Value)), seen);
        foreach (var (k, v) in expected) Assert.Equal(v, S(db.Get(B(k), new ReadOptions { Snapshot = snapshot })));
    }

    [Fact]
    public void ConcurrentReadersAndFlushes_EveryReadSeesAValueThatWasWritten()
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.WriteBufferSize = 64 * 1024);
        using var db = LatticeDb.Open(DbPath, options);
        int seed = TestSeed.Get(77);
        const int Keys = 2000;
        for (int i = 0; i < Keys; i++) db.Put(B($"k{i:D5}"), Value(i, 0));
        var stop = 0;
        var failures = new List<string>();
        var readers = Enumerable.Range(0, 2).Select(r => new Thread(() =>
        {
            var rnd = new Random(seed + r);
            while (Volatile.Read(ref stop) == 0)
            {
                int k = rnd.Next(Keys);
                var v = db.Get(B($"k{k:D5}"));
                if (v is null || !IsValue(v, k)) lock (failures) failures.Add($"key {k}: {(v is null ? "missing" : S(v))}");
                using var it = db.NewIterator();
                it.Seek(B($"k{k:D5}"));
                for (int n = 0; n < 20 && it.Valid; n++, it.Next())
                {
                    int key = int.Parse(S(it.Key.ToArray())![1..], System.Globalization.CultureInfo.InvariantCulture);
                    if (!IsValue(it.Value.ToArray(), key)) lock (failures) failures.Add($"iterated key {key}: {S(it.Value.ToArray())}");
                }
            }
        })).ToList();
        readers.ForEach(t => t.Start());
        var writer = new Random(seed);
        for (int round = 1; round <= 30; round++)
            for (int i = 0; i < 600; i++)
            {
                int k = writer.Next(Keys);
                db.Put(B($"k{k:D5}"), Value(k, round));
            }
        Volatile.Write(ref stop, 1);
        readers.ForEach(t => t.Join());
        Assert.True(failures.Count == 0, $"seed={seed}: " + string.Join("\n", failures.Take(10)));
    }

    private static byte[] Value(int key, int round) => B($"{key:D5}:{round:D3}:" + new string('x', 100));

    private static bool IsValue(byte[] v, int key)
    {
        string s = S(v)!;
        return s.Length == 110 && s.StartsWith($"{key:D5}:", StringComparison.Ordinal) && s.EndsWith(new string('x', 100), StringComparison.Ordinal);
    }
}
