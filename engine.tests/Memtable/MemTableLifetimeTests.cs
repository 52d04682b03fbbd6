using LatticeKV.Io;
using LatticeKV.Memtable;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// Flushed memtables free their arena chunks (outside the managed heap), but only once no reader
/// can reach them: an iterator or a snapshot read that started before the flush keeps seeing the
/// memtable's own bytes however much is written, flushed and freed after it; a memtable is
/// freed once, at its last reference, and nothing reads it afterwards.
/// </summary>
public class MemTableLifetimeTests
{
    [Fact]
    public void Unref_LastReference_FreesEveryChunkOnce()
    {
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 1);
        for (int i = 0; i < 100; i++) m.Add((ulong)i + 1, Keys.ValueKind.Value, B($"k{i:D3}"), new byte[100]);
        m.Add(101, Keys.ValueKind.Value, B("large"), new byte[3000]); // more than a quarter chunk: a chunk of its own
        var chunks = m.Arena.Chunks;
        Assert.True(chunks.Count >= 4, $"{chunks.Count} chunks");
        Assert.Contains(chunks, c => c.Length != 4096);
        m.Ref();
        m.Ref();
        m.Unref();
        Assert.DoesNotContain(chunks, c => c.IsFreed); // still referenced: a reader may use them
        Assert.True(m.TryGet(B("k050"), ulong.MaxValue, out _, out _, out var value) && value.Length == 100);
        m.Unref();
        Assert.All(chunks, c => Assert.True(c.IsFreed));
        Assert.Throws<InvalidOperationException>(m.Unref); // a second release frees nothing twice
        Assert.All(chunks, c => Assert.Throws<ObjectDisposedException>(() => c.Span.Length));
    }

    [Fact]
    public void Release_ThenAReadOfAChunk_ThrowsInsteadOfReadingFreedMemory()
    {
        var arena = new Arena(64 * 1024);
        long address = MemEntry.Write(arena, B("key"), 1, Keys.ValueKind.Value, default, B("value"), -1, out int size);
        arena.Publish(address, size);
        Assert.Equal("value", S(MemEntry.Value(arena, address).ToArray()));

        arena.Release();
        arena.Release(); // nothing left to free

        Assert.Throws<ObjectDisposedException>(() => MemEntry.Value(arena, address).Length);
    }

    [Fact]
    public void Allocate_ChunkOfAHugePageOrMore_StartsZeroedAndKeepsWhatIsWritten()
    {
        var arena = new Arena(2 << 20);
        var addresses = new List<long>();
        for (int i = 0; i < 80_000; i++) // 31 bytes each, 2.5 MB: the growing first chunks (1.3 MiB), then one of 2 MiB
        {
            long address = MemEntry.Write(arena, B($"key{i:D6}"), (ulong)i + 1, Keys.ValueKind.Value, default, B($"value{i:D6}"), -1, out int size);
            arena.Publish(address, size);
            addresses.Add(address);
        }
        int last = arena.Chunks.Count - 1;
        Assert.Equal(2 << 20, arena.Chunks[last].Length);
        Assert.True(arena.Chunk((long)last << 32)[arena.PublishedEnds[last]..].IndexOfAnyExcept((byte)0) < 0, "unwritten bytes of a fresh chunk are not zero");
        for (int i = 0; i < addresses.Count; i += 97) Assert.Equal($"value{i:D6}", S(MemEntry.Value(arena, addresses[i]).ToArray()));
        var chunks = arena.Chunks;
        arena.Release();
        Assert.All(chunks, c => Assert.True(c.IsFreed));
    }

    [Fact]
    public void Allocate_FirstChunks_StartSmallAndGrowFourfoldToTheChunkSize()
    {
        // A family holding a few keys maps a small chunk, not a whole (huge-page) chunk per memtable.
        var arena = new Arena(8 << 20);
        long first = MemEntry.Write(arena, B("key"), 1, Keys.ValueKind.Value, default, B("value"), -1, out int size);
        arena.Publish(first, size);
        Assert.Equal(Arena.FirstChunkSize, arena.MemoryUsage);
        var payload = new byte[1000];
        for (int i = 0; i < 20_000; i++) // 20 MB
        {
            long address = MemEntry.Write(arena, B($"key{i:D6}"), (ulong)i + 2, Keys.ValueKind.Value, default, payload, -1, out size);
            arena.Publish(address, size);
        }
        var sizes = arena.Chunks.Select(c => c.Length).ToList();
        Assert.Equal([64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20], sizes.Take(5));
        Assert.All(sizes.Skip(4), length => Assert.Equal(8 << 20, length));
        Assert.Equal(sizes.Sum(x => (long)x), arena.MemoryUsage);
        Assert.Equal("value", S(MemEntry.Value(arena, first).ToArray()));
        arena.Release();
    }

    [Fact]
    public void IteratorOpenAcrossFlushes_WhileLaterMemTablesAreFreed_SeesItsOwnData()
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
        // Many memtables' worth of other data, flushed in between: their chunks are freed.
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
        var failures = new List<string>();
        using var readers = new TestThreads();
        readers.Start(2, "reader", r =>
        {
            var rnd = new Random(seed + r);
            while (!readers.Stopping.IsCancellationRequested)
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
        });
        var writer = new Random(seed);
        for (int round = 1; round <= 30; round++)
            for (int i = 0; i < 600; i++)
            {
                int k = writer.Next(Keys);
                db.Put(B($"k{k:D5}"), Value(k, round));
            }
        readers.Stop();
        readers.JoinAndRethrow();
        Assert.True(failures.Count == 0, $"seed={seed}: " + string.Join("\n", failures.Take(10)));
    }

    private static byte[] Value(int key, int round) => B($"{key:D5}:{round:D3}:" + new string('x', 100));

    private static bool IsValue(byte[] v, int key)
    {
        string s = S(v)!;
        return s.Length == 110 && s.StartsWith($"{key:D5}:", StringComparison.Ordinal) && s.EndsWith(new string('x', 100), StringComparison.Ordinal);
    }
}
