using System.Buffers;
using LatticeKV.Memtable;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// The hash index rents its slot tables from the shared array pool and hands them back when
/// its memtable is released: a table that held another memtable's slots must start empty, and
/// a released table must be there for the next index of its size.
/// </summary>
public class HashIndexTests
{
    [Fact]
    public void Constructor_PooledTableHoldingStaleSlots_StartsEmpty()
    {
        byte[] key = "a"u8.ToArray();
        ulong hash = HashIndex.Hash(key);
        // Every slot claims "a" lives at address 0, which this arena has not written: a lookup
        // that trusted the pooled array's old contents would dereference a chunk that is not there.
        long stale = ((long)(ushort)((hash >> 52) | 1) << 52) | 0;
        var dirty = ArrayPool<long>.Shared.Rent(1024);
        Array.Fill(dirty, stale);
        ArrayPool<long>.Shared.Return(dirty);

        var arena = new Arena(4096);
        var index = new HashIndex(arena);

        Assert.Equal(1024, index.Capacity);
        Assert.Equal(-1, index.Find(hash, key));
    }

    [Fact]
    public void Release_ThenAnIndexOfTheSameSize_ReusesTheTable()
    {
        var first = new HashIndex(new Arena(4096), expectedEntries: 100_000);
        int capacity = first.Capacity;
        first.Release();

        var arena = new Arena(4096);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var second = new HashIndex(arena, expectedEntries: 100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(capacity, second.Capacity);
        Assert.True(allocated < capacity * sizeof(long) / 2, $"{allocated} bytes allocated for a table of {capacity * sizeof(long)}");
    }

    [Fact]
    public void Publish_GrowingPastItsTable_KeepsEveryKeyAndReleasesEveryTable()
    {
        var m = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 1);
        const int Keys = 5000; // 1024 slots at first: grows three times
        for (int i = 0; i < Keys; i++) m.Add((ulong)i + 1, LatticeKV.Keys.ValueKind.Value, Key(i), Key(i));
        for (int i = 0; i < Keys; i++)
        {
            Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out var value), $"key {i}");
            Assert.True(value.SequenceEqual(Key(i)));
        }
        Assert.False(m.TryGet("absent"u8, ulong.MaxValue, out _, out _, out _));
        m.Ref();
        m.Unref(); // returns the current table and the three it outgrew

        var next = new MemTable(new Keys.InternalKeyComparator(KeyComparator.Bytewise), 4096, 2);
        for (int i = 0; i < Keys; i += 7) Assert.False(next.TryGet(Key(i), ulong.MaxValue, out _, out _, out _));
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D6}");
}
