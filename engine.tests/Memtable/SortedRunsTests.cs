using LatticeKV.Keys;
using LatticeKV.Memtable;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// Sorted runs live outside the managed heap: an iterator must see exactly its memtable's
/// entries, in order, through builds, merges (with windows re-read when the shared prefix
/// shrinks) and the release that frees the arrays; a run a reader may hold must stay readable
/// until that reader is gone.
/// </summary>
public class SortedRunsTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    [Fact]
    public void NewIterator_ShuffledKeys_YieldsExactlyTheEntriesInOrder()
    {
        var m = new MemTable(Cmp, 4096, 1);
        const int Count = 1500;
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
    public void Unref_LastReference_FreesThePublishedRunsArrays()
    {
        var m = new MemTable(Cmp, 4096, 1);
        for (int i = 0; i < 3000; i++) m.Add((ulong)i + 1, ValueKind.Value, B($"a{i * 7 % 3000:D5}"), B("v"));
        using (var it = m.NewIterator()) it.SeekToFirst();
        var runs = m.Runs.RetainedRuns;
        Assert.NotEmpty(runs);
        m.Ref();
        m.Ref();
        m.Unref();
        Assert.DoesNotContain(runs, r => r.AddressBuffer.IsFreed || r.WindowBuffer.IsFreed);

        m.Unref();

        Assert.All(runs, r => Assert.True(r.AddressBuffer.IsFreed && r.WindowBuffer.IsFreed));
        Assert.Equal(0, m.Runs.RetainedRunCount);
    }

    [Fact]
    public void NewIterator_RunMergedAwayWhileAnIteratorHoldsIt_StaysReadableForThatIterator()
    {
        var m = new MemTable(Cmp, 4096, 1);
        m.Ref(); // as a super version does while its readers iterate
        var first = new List<string>();
        for (int i = 0; i < 100; i++)
        {
            string k = $"k{i * 37 % 100:D3}";
            m.Add((ulong)i + 1, ValueKind.Value, B(k), B(k));
            first.Add(k);
        }
        using var early = m.NewIterator();
        var published = Assert.Single(m.Runs.RetainedRuns);
        // As many again: the new run is merged with the published one, which is let go.
        for (int i = 0; i < 100; i++) m.Add((ulong)i + 101, ValueKind.Value, B($"n{i:D3}"), B("n"));
        using (var later = m.NewIterator()) later.SeekToFirst();
        var merged = Assert.Single(m.Runs.RetainedRuns);
        Assert.Equal(200, merged.Length);
        Assert.NotSame(published, merged);

        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.False(published.AddressBuffer.IsFreed); // the early iterator still holds it
        var seen = new List<string>();
        for (early.SeekToFirst(); early.Valid; early.Next()) seen.Add(S(InternalKey.UserKey(early.Key).ToArray())!);
        Assert.Equal(first.Order(StringComparer.Ordinal), seen);
        m.Unref(); // frees the merged run and the arena; the run merged away is the collector's
        Assert.True(merged.AddressBuffer.IsFreed);
        Assert.All(m.Arena.Chunks, c => Assert.True(c.IsFreed));
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
        first.Unref(); // frees the runs' arrays

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
