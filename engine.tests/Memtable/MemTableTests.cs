using System.Text;
using LatticeKV.Keys;
using LatticeKV.Memtable;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Memtable;

public class MemTableTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [Fact]
    public void TryGet_SeveralVersions_ReturnsNewestVisibleAtSnapshot()
    {
        var m = new MemTable(Cmp, 4096, 1);
        m.Add(1, ValueKind.Value, "k"u8, "v1"u8);
        m.Add(5, ValueKind.Value, "k"u8, "v5"u8);
        m.Add(9, ValueKind.Deletion, "k"u8, default);
        Assert.False(m.TryGet("k"u8, 0, out _, out _, out _));
        Assert.True(m.TryGet("k"u8, 4, out var kind, out ulong seq, out var value));
        Assert.Equal((ValueKind.Value, 1UL, "v1"), (kind, seq, Encoding.UTF8.GetString(value)));
        Assert.True(m.TryGet("k"u8, 8, out _, out seq, out value));
        Assert.Equal((5UL, "v5"), (seq, Encoding.UTF8.GetString(value)));
        Assert.True(m.TryGet("k"u8, 100, out kind, out _, out _));
        Assert.Equal(ValueKind.Deletion, kind);
        Assert.False(m.TryGet("j"u8, 100, out _, out _, out _));
        Assert.False(m.TryGet("kk"u8, 100, out _, out _, out _));
    }

    [Fact]
    public void TryGetOlder_FromTheVersionAtASnapshot_WalksOlderVersionsOfThatKeyOnly()
    {
        var m = new MemTable(Cmp, 4096, 1);
        m.Add(1, ValueKind.Value, "k"u8, "v1"u8);
        m.Add(2, ValueKind.Value, "j"u8, "other"u8);
        m.Add(3, ValueKind.Merge, "k"u8, "m3"u8);
        m.Add(7, ValueKind.Merge, "k"u8, "m7"u8);
        Assert.True(m.TryGet("k"u8, 6, out var kind, out ulong seq, out var value, out long position));
        Assert.Equal((ValueKind.Merge, 3UL, "m3"), (kind, seq, Encoding.UTF8.GetString(value)));
        Assert.True(m.TryGetOlder(position, out kind, out seq, out value, out position));
        Assert.Equal((ValueKind.Value, 1UL, "v1"), (kind, seq, Encoding.UTF8.GetString(value)));
        Assert.False(m.TryGetOlder(position, out _, out _, out _, out _));
    }

    /// <summary>Lengths on both sides of each varint width, and entries larger than a chunk (their own chunk).</summary>
    [Fact]
    public void AddThenRead_KeyAndValueLengthsAcrossVarintWidths_RoundTrip()
    {
        var m = new MemTable(Cmp, 4096, 1);
        int[] keyLengths = [1, 119, 120, 300, 16_375, 16_376, 20_000];
        int[] valueLengths = [0, 1, 127, 128, 16_383, 16_384, 1 << 20];
        var rnd = new Random(11);
        var expected = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        ulong seq = 1;
        foreach (int kl in keyLengths)
            foreach (int vl in valueLengths)
            {
                var key = new byte[kl];
                rnd.NextBytes(key);
                key[0] = (byte)('a' + expected.Count % 26);
                var value = new byte[vl];
                rnd.NextBytes(value);
                m.Add(seq++, ValueKind.Value, key, value);
                expected[Convert.ToHexString(key)] = value;
            }
        foreach (var (hex, value) in expected)
        {
            Assert.True(m.TryGet(Convert.FromHexString(hex), ulong.MaxValue >> 8, out _, out _, out var got));
            Assert.True(got.SequenceEqual(value));
        }
        using var it = m.NewIterator();
        it.SeekToFirst();
        foreach (var (hex, value) in expected)
        {
            Assert.True(it.Valid);
            Assert.Equal(hex, Convert.ToHexString(InternalKey.UserKey(it.Key)));
            Assert.True(it.Value.SequenceEqual(value));
            it.Next();
        }
        Assert.False(it.Valid);
    }

    /// <summary>
    /// What a memtable counts against its write buffer is what it holds, as RocksDB counts its
    /// arena (entries and skip list): the entries, the hash index's slot tables as allocated, and
    /// sorted runs once built (the flush's run takes the place of the index it frees). In a
    /// writer's steady state (the index sized for as many entries as the memtable before held) a
    /// delete of a 16-byte key costs no more than in RocksDB's skip list (48 bytes), so a million
    /// of them fit a 64 MiB write buffer (a delete-everything workload flushes once and its
    /// compaction can drop what it deleted), and a put of a 16-byte key with a 100-byte value no
    /// more than RocksDB's 144 bytes (a 64 MiB buffer holds ~461k of them), so the two flush at the
    /// same points.
    /// </summary>
    [Theory]
    [InlineData(0, 48)]
    [InlineData(100, 144)]
    public void ApproximateMemoryUsage_SixteenByteKeysSteadyState_StaysWithinBudgetPerEntry(int valueLength, int budget)
    {
        const int count = 100_000;
        var m = new MemTable(Cmp, 1 << 20, 1, expectedEntries: count);
        var key = new byte[16];
        var value = new byte[valueLength];
        for (int i = 0; i < count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key, i * 7919L);
            m.Add((ulong)i + 1, valueLength == 0 ? ValueKind.Deletion : ValueKind.Value, key, value);
        }
        Assert.True(m.ApproximateMemoryUsage <= (long)budget * count, $"{m.ApproximateMemoryUsage / (double)count:F1} bytes per entry");
        Assert.Equal(count, m.EntryCount);
    }

    /// <summary>The count is what is really allocated: the arena's entries, every slot table, and a sorted run once built.</summary>
    [Fact]
    public void ApproximateMemoryUsage_GrowingIndex_CountsEveryTableTheFilterAndTheSortedRunOnceBuilt()
    {
        var m = new MemTable(Cmp, 1 << 20, 1);
        for (int i = 0; i < 10_000; i++) m.Add((ulong)i + 1, ValueKind.Value, Encoding.ASCII.GetBytes($"key{i:D6}"), new byte[20]);
        long tables = m.Index.Tables.Sum(t => t.Length * (long)sizeof(long));
        Assert.True(m.Index.Tables.Count > 1);
        Assert.Equal(m.Arena.UsedBytes + tables + m.Filter.MemoryUsage, m.ApproximateMemoryUsage);
        using (var it = m.NewIterator()) it.SeekToFirst(); // builds the run over every entry
        Assert.Equal((long)SortedRuns.BytesPerEntry * m.EntryCount, m.Runs.MemoryUsage);
        Assert.Equal(m.Arena.UsedBytes + tables + m.Runs.MemoryUsage + m.Filter.MemoryUsage, m.ApproximateMemoryUsage);
    }

    /// <summary>Version links into later chunks take several varint bytes: every snapshot must still find its version.</summary>
    [Fact]
    public void TryGet_ManyVersionsAcrossChunks_FindsTheVersionOfEachSnapshot()
    {
        var m = new MemTable(Cmp, 4096, 1);
        var rnd = new Random(21);
        ulong seq = 0;
        var versions = new List<ulong>();
        for (int i = 0; i < 3000; i++)
        {
            // Other keys between the versions, some larger than a quarter chunk (their own chunks).
            m.Add(++seq, ValueKind.Value, Encoding.UTF8.GetBytes("other" + rnd.Next(500)), new byte[rnd.Next(10) == 0 ? 2000 : 60]);
            m.Add(++seq, ValueKind.Value, "hot"u8, Encoding.UTF8.GetBytes("v" + seq));
            versions.Add(seq);
        }
        for (int probe = 0; probe < 2000; probe++)
        {
            int v = rnd.Next(versions.Count);
            ulong snapshot = versions[v] + (ulong)rnd.Next(2); // at the version, or at the next other key
            Assert.True(m.TryGet("hot"u8, snapshot, out _, out ulong found, out var value));
            Assert.Equal(versions[v], found);
            Assert.Equal("v" + versions[v], Encoding.UTF8.GetString(value));
        }
        Assert.False(m.TryGet("hot"u8, versions[0] - 1, out _, out _, out _));
        // Every version is in the ordered view too, newest first.
        using var it = m.NewIterator();
        it.Seek(InternalKey.Create("hot"u8, InternalKey.MaxSequence, ValueKind.Value));
        for (int v = versions.Count - 1; v >= 0; v--, it.Next())
            Assert.Equal(versions[v], InternalKey.Trailer(it.Key) >> 8);
    }

    [Fact]
    public void Iterator_RandomInserts_ComeOutSortedBothWays()
    {
        var m = new MemTable(Cmp, 4096, 1);
        var rnd = new Random(3);
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        for (ulong s = 1; s <= 5000; s++)
        {
            string k = "key" + rnd.Next(100000);
            if (!keys.Add(k)) continue;
            m.Add(s, ValueKind.Value, Encoding.UTF8.GetBytes(k), new byte[rnd.Next(300)]);
        }
        using var it = m.NewIterator();
        var forward = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add(Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
        Assert.Equal(keys.ToList(), forward);
        var backward = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add(Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
        backward.Reverse();
        Assert.Equal(forward, backward);
    }

    [Fact]
    public void Add_ConcurrentReaders_AlwaysSeeSortedCompleteEntries()
    {
        // One writer, several lock-free readers: every reader pass must be sorted, must hold every
        // entry counted before it started, and every key it meets must carry the value the writer
        // stored for it. Some values are larger than a quarter chunk (their own arena chunks), and
        // the keys' shared prefix shrinks one byte at a time while readers build their runs.
        var m = new MemTable(Cmp, 64 * 1024, 1);
        const int n = 30_000;
        int readersFailed = 0, passes = 0;
        using var readers = new TestThreads();
        readers.Start(3, "reader", _ =>
        {
            while (!readers.Stopping.IsCancellationRequested)
            {
                int counted = m.EntryCount;
                using var it = m.NewIterator();
                byte[]? prev = null;
                int seen = 0;
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    var key = it.Key.ToArray();
                    if (prev is not null && Cmp.Compare(prev, key) >= 0) Interlocked.Increment(ref readersFailed);
                    if (!ValueMatches(InternalKey.UserKey(key), it.Value)) Interlocked.Increment(ref readersFailed);
                    prev = key;
                    seen++;
                }
                if (seen < counted) Interlocked.Increment(ref readersFailed);
                Interlocked.Increment(ref passes);
            }
        });
        var rnd = new Random(9);
        var keyBytes = new byte[24];
        for (ulong s = 1; s <= n; s++)
        {
            // Keys agree on their first 24 - s/1250 bytes: the shared prefix shrinks throughout.
            int fixedBytes = 24 - (int)(s / 1250);
            keyBytes.AsSpan(0, fixedBytes).Fill((byte)'p');
            rnd.NextBytes(keyBytes.AsSpan(fixedBytes));
            var k = (byte[])keyBytes.Clone();
            int repeat = rnd.Next(50) == 0 ? 800 : 1; // 24 * 800 bytes > a quarter of 64 KiB
            var v = new byte[k.Length * repeat];
            for (int r = 0; r < repeat; r++) k.CopyTo(v, r * k.Length);
            m.Add(s, ValueKind.Value, k, v);
        }
        readers.Stop();
        readers.JoinAndRethrow();
        Assert.Equal(0, readersFailed);
        Assert.True(passes > 0);
        Assert.Equal(n, m.EntryCount);
        using var all = m.NewIterator();
        int total = 0;
        for (all.SeekToFirst(); all.Valid; all.Next()) total++;
        Assert.Equal(n, total);
    }

    private static bool ValueMatches(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (value.Length == 0 || value.Length % key.Length != 0) return false;
        for (int at = 0; at < value.Length; at += key.Length)
            if (!value.Slice(at, key.Length).SequenceEqual(key)) return false;
        return true;
    }

    [Fact]
    public void RangeTombstones_AddedAndFragmented_CoverExpectedKeys()
    {
        var m = new MemTable(Cmp, 4096, 1);
        m.Add(3, ValueKind.RangeDeletion, "b"u8, "f"u8);
        m.Add(7, ValueKind.RangeDeletion, "d"u8, "h"u8);
        var t = m.GetRangeTombstones();
        Assert.Equal(0UL, t.MaxCoveringSequence("a"u8, 100));
        Assert.Equal(3UL, t.MaxCoveringSequence("c"u8, 100));
        Assert.Equal(7UL, t.MaxCoveringSequence("e"u8, 100));
        Assert.Equal(3UL, t.MaxCoveringSequence("e"u8, 5));
        Assert.Equal(0UL, t.MaxCoveringSequence("h"u8, 100));
        Assert.Equal(2, m.RangeTombstoneCount);
    }
}
