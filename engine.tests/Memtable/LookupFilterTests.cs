using LatticeKV.Keys;
using LatticeKV.Memtable;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// Once a flush has sorted a memtable and dropped its index, a bloom filter of its keys, set by
/// the writer, stands in front of the runs' binary search: it must admit every key the memtable
/// holds, turn most absent keys away, be counted in the memtable's memory and freed with it.
/// </summary>
public class LookupFilterTests
{
    [Fact]
    public void DropIndex_FilterAdmitsEveryKey_RejectsMostAbsentOnes_CountedAndFreedWithTheMemtable()
    {
        const int Keys = 20_000;
        var m = new MemTable(new InternalKeyComparator(KeyComparator.Bytewise), 4096, 1, expectedEntries: Keys);
        m.Ref();
        long empty = m.ApproximateMemoryUsage;
        var filter = m.Filter;
        // The bits for 10 per expected key, counted from the start: a tenth of an index of 12 bytes a slot.
        Assert.InRange(filter.MemoryUsage, Keys * 10 / 8, Keys * 10 / 8 + 130);
        Assert.Equal(m.Index.MemoryUsage + filter.MemoryUsage, empty);
        ulong seq = 0;
        for (int i = 0; i < Keys; i++) m.Add(++seq, ValueKind.Value, Key(2 * i), "v"u8);
        for (int i = 0; i < Keys; i += 7) m.Add(++seq, ValueKind.Deletion, Key(2 * i), []); // older versions chained
        m.Seal();
        m.SortForLookups();
        m.DropIndex();

        Assert.Equal(0, m.Index.MemoryUsage); // no super version from before the drop: freed at once
        Assert.Equal(m.Arena.UsedBytes + m.Runs.MemoryUsage + filter.MemoryUsage, m.ApproximateMemoryUsage);
        for (int i = 0; i < Keys; i++) Assert.True(filter.MayContain(Key(2 * i)), $"present key {2 * i} rejected");
        int admitted = 0;
        for (int i = 0; i < Keys; i++)
        {
            if (filter.MayContain(Key(2 * i + 1))) admitted++;
            Assert.False(m.TryGet(Key(2 * i + 1), ulong.MaxValue, out _, out _, out _));
        }
        Assert.True(admitted < Keys / 20, $"{admitted} of {Keys} absent keys passed the filter");
        Assert.True(m.TryGet(Key(0), ulong.MaxValue, out var kind, out _, out _));
        Assert.Equal(ValueKind.Deletion, kind);

        Assert.False(filter.IsFreed); // readers of the runs still use it
        m.Unref();
        Assert.True(filter.IsFreed);
    }

    [Fact]
    public void MoreKeysThanExpected_EveryKeyStillFound()
    {
        var m = new MemTable(new InternalKeyComparator(KeyComparator.Bytewise), 4096, 1, expectedEntries: 10);
        m.Ref();
        for (int i = 0; i < 5000; i++) m.Add((ulong)i + 1, ValueKind.Value, Key(i), "v"u8);
        m.Seal();
        m.SortForLookups();
        m.DropIndex();
        for (int i = 0; i < 5000; i++) Assert.True(m.TryGet(Key(i), ulong.MaxValue, out _, out _, out _), $"key {i}");
        m.Unref();
    }

    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key{i:D8}");
}
