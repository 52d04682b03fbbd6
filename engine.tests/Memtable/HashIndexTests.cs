using LatticeKV.Memtable;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// The hash index keeps its slot tables outside the managed heap: a new table must start empty,
/// the tables must be freed when the memtable's last reference goes (the current one and every
/// one it outgrew), and not before.
/// </summary>
public class HashIndexTests
{
    [Fact]
    public void Constructor_AfterAFreedTableOfTheSameSize_StartsEmpty()
    {
        byte[] key = "a"u8.ToArray();
        ulong hash = HashIndex.Hash(key);
        // Fill a table with slots claiming "a" lives at address 0 (which no arena here wrote),
        // free it, and make another of its size: trusting old contents would dereference a chunk
        // that is not there.
        long stale = ((long)(ushort)((hash >> 52) | 1) << 52) | 0;
        var first = new HashIndex(new Arena(4096), expectedEntries: 100_000);
        first.Tables[0].Span.Fill(stale);
        first.Release();

        var index = new HashIndex(new Arena(4096), expectedEntries: 100_000);

        Assert.Equal(-1, index.Find(hash, key));
        Assert.True(index.Tables[0].Span.IndexOfAnyExcept(0L) < 0);
    }

    [Fact]
    public void Constructor_LargeTable_AllocatesNothingOnTheManagedHeapForIt()
    {
        var arena = new Arena(4096);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var index = new HashIndex(arena, expectedEntries: 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 4096, $"{allocated} managed bytes for a table of {index.Capacity * sizeof(long)}");
        index.Release();
    }

    [Fact]
    public void Publish_GrowingPastItsTable_KeepsEveryKeyAndReleasesEveryTable()
    {
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 1);
        const int Keys = 7000; // 64 slots at first: grows eight times (at 49, 97, ..., 3073, 6145 keys)
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out var value), $"key {i}");
            Assert.True(value.SequenceEqual(Key(i)));
        }
        Assert.False(m.TryGet("absent"u8, ulong.MaxValue, out _, out _, out _));
        var tables = m.Index.Tables;
        Assert.Equal(9, tables.Count); // the current table and the eight it outgrew
        m.Ref();
        m.Ref();
        m.Unref();
        Assert.DoesNotContain(tables, t => t.IsFreed); // still referenced: a reader may probe them
        m.Unref();
        Assert.All(tables, t => Assert.True(t.IsFreed));
        Assert.Equal(0, m.Index.Capacity);

        var next = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 2);
        for (int i = 0; i < Keys; i += 7) Assert.False(next.TryGet(Key(i), ulong.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void Publish_AsManyEntriesAsExpected_FitsTheFirstTableAtUnderTwoSlotsAnEntry()
    {
        const int Keys = 5000;
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 64 * 1024, 1, expectedEntries: Keys);
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));

        Assert.Single(m.Index.Tables); // never grew
        Assert.True(m.Index.Capacity < 2 * Keys, $"{m.Index.Capacity} slots for {Keys} entries");
        for (int i = 0; i < Keys; i++) Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out _), $"key {i}");
        Assert.False(m.TryGet("absent"u8, ulong.MaxValue, out _, out _, out _));
    }

    [Fact]
    public void Constructor_ExpectedEntries_SizesTheTableAtOneAndAHalfSlotsAnEntryAndCountsItsBytes()
    {
        // Not rounded up to a power of two (5000 expected would take 8192 slots): the memtable
        // counts the table's bytes against its write buffer.
        const int Keys = 5000;
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 64 * 1024, 1, expectedEntries: Keys);

        Assert.Equal(Keys * 3 / 2, m.Index.Capacity);
        Assert.Equal(Keys * 3 / 2 * sizeof(long), m.Index.MemoryUsage);
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));
        Assert.Equal(Keys * 3 / 2 * sizeof(long), m.Index.MemoryUsage); // never grew
        m.Ref();
        m.Unref();
        Assert.Equal(0, m.Index.MemoryUsage);
    }

    [Fact]
    public void Seal_OnceNoMutableViewIsLeft_FreesTheOutgrownTablesOnlyAndStopsCountingThem()
    {
        const int Keys = 7000;
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 1);
        m.EnterMutableView(); // as a super version holding it as the mutable memtable
        m.Ref();
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));
        var tables = m.Index.Tables;
        long current = tables[0].Length * (long)sizeof(long);
        Assert.Equal(tables.Sum(t => t.Length * (long)sizeof(long)), m.Index.MemoryUsage);
        long before = m.ApproximateMemoryUsage;

        m.Seal();
        Assert.DoesNotContain(tables, t => t.IsFreed); // a reader of that super version may still probe an outgrown table
        m.LeaveMutableView();

        Assert.False(tables[0].IsFreed); // the current table: readers of the immutable memtable probe it
        Assert.All(tables.Skip(1), t => Assert.True(t.IsFreed));
        Assert.Equal(current, m.Index.MemoryUsage);
        Assert.Equal(before - tables.Skip(1).Sum(t => t.Length * (long)sizeof(long)), m.ApproximateMemoryUsage);
        for (int i = 0; i < Keys; i++) Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out _), $"key {i}");
        m.Unref();
        Assert.All(tables, t => Assert.True(t.IsFreed));
    }

    [Fact]
    public void DropIndex_LookupsSearchTheRunsAndFindEveryVersionAsTheIndexDid_IndexFreedAfterTheLastViewBeforeIt()
    {
        var cmp = new Keys.InternalKeyComparator(KeyComparator.Bytewise);
        var m = new MemTable(cmp, 4096, 1);
        m.Ref();
        Assert.True(m.TryEnterIndexView()); // a super version made before the drop
        var rnd = new Random(5);
        ulong seq = 0;
        var versions = new Dictionary<int, List<ulong>>();
        for (int i = 0; i < 6000; i++)
        {
            int k = rnd.Next(1500);
            var kind = rnd.Next(8) == 0 ? LatticeKV.Keys.ValueKind.Deletion : LatticeKV.Keys.ValueKind.Value;
            m.Add(++seq, kind, Key(k), kind == LatticeKV.Keys.ValueKind.Value ? Value(seq) : []);
            (versions.TryGetValue(k, out var list) ? list : versions[k] = []).Add(seq);
            if (i % 1700 == 0) using (var it = m.NewIterator()) it.SeekToFirst(); // several runs, not one
        }
        var probes = Enumerable.Range(0, 3000).Select(_ => (Key: rnd.Next(1600), Snapshot: (ulong)rnd.Next(1, (int)seq + 2))).ToList();
        var before = probes.Select(p => Lookup(m, Key(p.Key), p.Snapshot)).ToList();
        var tables = m.Index.Tables;
        m.Seal();
        m.SortForLookups();
        Assert.True(m.Runs.PublishedRunCount > 1, "the test wants several runs");

        m.DropIndex();
        Assert.False(m.TryEnterIndexView()); // a super version made after the drop does not count
        Assert.True(m.IndexDropped);
        Assert.False(tables[0].IsFreed); // the view from before may still probe it (the outgrown ones went at Seal: no mutable view)
        Assert.Equal(before, probes.Select(p => Lookup(m, Key(p.Key), p.Snapshot)).ToList());
        foreach (var (k, seqs) in versions)
        {
            // From the newest, every older version in turn, as the index's lookups walked them.
            Assert.True(m.TryGet(Key(k), ulong.MaxValue, out _, out ulong found, out _, out long position));
            Assert.Equal(seqs[^1], found);
            for (int v = seqs.Count - 2; v >= 0; v--)
            {
                Assert.True(m.TryGetOlder(position, out _, out found, out _, out position));
                Assert.Equal(seqs[v], found);
            }
            Assert.False(m.TryGetOlder(position, out _, out _, out _, out _));
        }

        m.LeaveIndexView();
        Assert.All(tables, t => Assert.True(t.IsFreed));
        Assert.Equal(0, m.Index.MemoryUsage);
        Assert.Equal(before, probes.Select(p => Lookup(m, Key(p.Key), p.Snapshot)).ToList());
        m.Unref();
    }

    private static string Lookup(MemTable m, byte[] key, ulong snapshot)
        => m.TryGet(key, snapshot, out var kind, out ulong found, out var value) ? $"{kind} {found} {System.Text.Encoding.ASCII.GetString(value)}" : "none";

    private static byte[] Value(ulong seq) => System.Text.Encoding.ASCII.GetBytes($"v{seq}");

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");
}
