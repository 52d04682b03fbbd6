using System.Buffers;
using LatticeKV.Keys;
using LatticeKV.Memtable;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// Sorted runs live in pooled arrays that are longer than the runs and may hold another
/// memtable's addresses: an iterator must see exactly its memtable's entries, in order, through
/// builds, merges (with windows re-read when the shared prefix shrinks) and the release that
/// hands the arrays to the next memtable.
/// </summary>
public class SortedRunsTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [Fact]
    public void NewIterator_PooledArraysHoldingStaleAddresses_YieldsExactlyTheEntries()
    {
        // Arrays a pooled rent may return, filled with addresses this memtable never wrote.
        foreach (int length in new[] { 1024, 2048, 4096 })
        {
            var longs = ArrayPool<long>.Shared.Rent(length);
            Array.Fill(longs, (7L << 32) | 12345);
            ArrayPool<long>.Shared.Return(longs);
            var windows = ArrayPool<ulong>.Shared.Rent(length);
            Array.Fill(windows, 0UL);
            ArrayPool<ulong>.Shared.Return(windows);
        }
        var m = new MemTable(Cmp, 4096, 1);
        const int Count = 1500; // not a power of two: the rented arrays are longer than the run
        var keys = Enumerable.Range(0, Count).Select(i => $"k{i * 7919 % Count:D5}").ToList();
        for (int i = 0; i < Count; i++) m.Add((ulong)i + 1, ValueKind.Value, B(keys[i]), B(keys[i]));

        using var it = m.NewIterator();
        var seen = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) seen.Add(S(InternalKey.UserKey(it.Key).ToArray())!);
        Assert.Equal(keys.Order(StringComparer.Ordinal), seen);
        it.SeekToLast();
        Assert.Equal($"k{Count - 1:D5}", S(InternalKey.UserKey(it.Key).ToArray()));
    }

    [Fact]
    public void NewIterator_RunsMergedAfterTheSharedPrefixShrank_StaySortedAndComplete()
    {
        var m = new MemTable(Cmp, 4096, 1);
        var expected = new List<string>();
        ulong seq = 0;
        void Add(string k)
        {
            m.Add(++seq, ValueKind.Value, B(k), B(k));
            expected.Add(k);
        }
        for (int i = 0; i < 400; i++) Add($"shared/prefix/{i * 31 % 400:D4}");
        AssertSorted(m, expected);                // one run, windows after "shared/prefix/"
        for (int i = 0; i < 300; i++) Add($"other/{i * 17 % 300:D4}");
        AssertSorted(m, expected);                // the prefix is gone: windows re-read, runs merged
        for (int i = 0; i < 50; i++) Add($"shared/late/{i:D2}");
        AssertSorted(m, expected);
    }

    [Fact]
    public void NewIterator_AfterEveryWrite_KeepsOnlyThePublishedRunsArrays()
    {
        // An iterator after every write builds a run per write and merges them many times over:
        // only the runs published last may be held for Release, not every run merged away.
        var m = new MemTable(Cmp, 4096, 1);
        var expected = new List<string>();
        for (int i = 0; i < 2000; i++)
        {
            string k = $"k{i * 7919 % 2000:D5}";
            m.Add((ulong)i + 1, ValueKind.Value, B(k), B(k));
            expected.Add(k);
            using var it = m.NewIterator();
            it.SeekToFirst();
            Assert.True(it.Valid);
        }
        AssertSorted(m, expected);
        Assert.InRange(m.Runs.PublishedRunCount, 1, 16);
        Assert.Equal(m.Runs.PublishedRunCount, m.Runs.RetainedRunCount);
    }

    [Fact]
    public void Unref_AfterIterating_NextMemTableSeesOnlyItsOwnEntries()
    {
        var first = new MemTable(Cmp, 4096, 1);
        for (int i = 0; i < 3000; i++) first.Add((ulong)i + 1, ValueKind.Value, B($"a{i:D5}"), B("old"));
        using (var it = first.NewIterator()) it.SeekToFirst();
        first.Ref();
        first.Unref(); // the runs' arrays go back to the pool

        var second = new MemTable(Cmp, 4096, 2, expectedEntries: 3000);
        var expected = new List<string>();
        for (int i = 0; i < 2999; i++)
        {
            second.Add((ulong)i + 1, ValueKind.Value, B($"b{i:D5}"), B("new"));
            expected.Add($"b{i:D5}");
        }
        AssertSorted(second, expected);
        Assert.False(second.TryGet(B("a00001"), ulong.MaxValue, out _, out _, out _));
    }

    private static void AssertSorted(MemTable m, List<string> expected)
    {
        using var it = m.NewIterator();
        var forward = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add(S(InternalKey.UserKey(it.Key).ToArray())!);
        Assert.Equal(expected.Order(StringComparer.Ordinal), forward);
        var backward = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add(S(InternalKey.UserKey(it.Key).ToArray())!);
        Assert.Equal(expected.OrderDescending(StringComparer.Ordinal), backward);
    }
}
