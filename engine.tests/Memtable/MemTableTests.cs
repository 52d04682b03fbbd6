using System.Text;
using LatticeKV.Keys;
using LatticeKV.Memtable;

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
    /// A million deletes of 16-byte keys fit a 64 MiB write buffer (as in RocksDB's skip list), so
    /// a delete-everything workload flushes once and its compaction can drop what it deleted.
    /// </summary>
    [Fact]
    public void ApproximateMemoryUsage_DeletesOfSixteenByteKeys_AtMost64BytesEach()
    {
        var m = new MemTable(Cmp, 1 << 20, 1);
        const int count = 100_000;
        var key = new byte[16];
        for (int i = 0; i < count; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key, i * 7919L);
            m.Add((ulong)i + 1, ValueKind.Deletion, key, default);
        }
        Assert.True(m.ApproximateMemoryUsage <= 64L * count, $"{m.ApproximateMemoryUsage / (double)count:F1} bytes per delete");
        Assert.Equal(count, m.EntryCount);
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
        // One writer, several lock-free readers: every reader pass must be sorted and every key
        // it meets must carry the value the writer stored for it.
        var m = new MemTable(Cmp, 64 * 1024, 1);
        const int n = 30_000;
        int readersFailed = 0;
        bool done = false;
        var readers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                using var it = m.NewIterator();
                byte[]? prev = null;
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    var key = it.Key.ToArray();
                    if (prev is not null && Cmp.Compare(prev, key) >= 0) Interlocked.Increment(ref readersFailed);
                    var user = InternalKey.UserKey(key);
                    if (!it.Value.SequenceEqual(user)) Interlocked.Increment(ref readersFailed);
                    prev = key;
                }
            }
        })).ToList();
        readers.ForEach(t => t.Start());
        var rnd = new Random(9);
        for (ulong s = 1; s <= n; s++)
        {
            var k = Encoding.UTF8.GetBytes("k" + rnd.Next());
            m.Add(s, ValueKind.Value, k, k);
        }
        Volatile.Write(ref done, true);
        readers.ForEach(t => t.Join());
        Assert.Equal(0, readersFailed);
        Assert.Equal(n, m.EntryCount);
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
