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
        const int Keys = 7000; // 1024 slots at first: grows four times (at 769, 1537, 3073, 6145 keys)
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out var value), $"key {i}");
            Assert.True(value.SequenceEqual(Key(i)));
        }
        Assert.False(m.TryGet("absent"u8, ulong.MaxValue, out _, out _, out _));
        var tables = m.Index.Tables;
        Assert.Equal(5, tables.Count); // the current table and the four it outgrew
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

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");
}
