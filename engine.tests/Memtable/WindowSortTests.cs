using LatticeKV.Memtable;

namespace LatticeKV.Tests.Memtable;

/// <summary>
/// The radix sort must give exactly the order of a comparison sort with the same comparator
/// (windows first, then the tie-break), whatever the windows look like: the flush writes tables
/// in that order, and their bytes must not change.
/// </summary>
public class WindowSortTests
{
    /// <summary>Windows first, then a tie-break rank unrelated to the input order (as the key bytes are).</summary>
    private readonly struct RankComparer(Dictionary<long, int> rank) : IComparer<WindowedAddress>
    {
        public int Compare(WindowedAddress x, WindowedAddress y)
            => x.Window != y.Window ? x.Window.CompareTo(y.Window) : rank[x.Address].CompareTo(rank[y.Address]);
    }

    public static TheoryData<string, int> Cases() => new()
    {
        { "distinct", 5000 },
        { "below-threshold", WindowSort.RadixThreshold - 1 },
        { "at-threshold", WindowSort.RadixThreshold },
        { "all-equal", 3000 },
        { "small-groups", 4000 },
        { "large-groups", 4000 },
        { "one-byte-differs", 3000 },
        { "high-bit", 3000 },
        { "decimal-digits", 6000 },
        { "already-sorted", 3000 },
        { "descending", 3000 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sort_AnyWindows_MatchesComparisonSort(string shape, int n)
    {
        int seed = HashCode.Combine(shape.Length, n, shape[0]);
        var random = new Random(seed);
        var items = new WindowedAddress[n];
        for (int i = 0; i < n; i++) items[i] = new WindowedAddress(WindowFor(shape, i, n, random), 1000 + i);
        // Distinct ranks in a shuffled order: ties must be settled by the comparator, not by position.
        var ranks = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        var rank = new Dictionary<long, int>();
        for (int i = 0; i < n; i++) rank[items[i].Address] = ranks[i];
        var comparer = new RankComparer(rank);

        var expected = items.ToArray();
        Array.Sort(expected, comparer);
        var actual = items.ToArray();
        var scratch = new WindowedAddress[n];
        WindowSort.Sort(actual.AsSpan(), scratch, comparer);

        Assert.True(expected.SequenceEqual(actual), $"shape {shape}, seed {seed}: order differs from the comparison sort");
    }

    private static ulong WindowFor(string shape, int i, int n, Random random) => shape switch
    {
        "all-equal" => 0x3030303030303030UL,
        "small-groups" => (ulong)random.Next(n / 3) * 0x9E3779B97F4A7C15UL,
        "large-groups" => (ulong)random.Next(20) << 40,
        "one-byte-differs" => 0x4142434400464748UL | ((ulong)random.Next(256) << 24),
        "high-bit" => (ulong)random.NextInt64() | (random.Next(2) == 0 ? 0x8000000000000000UL : 0),
        "decimal-digits" => DecimalWindow(random.Next(n)),
        "already-sorted" => (ulong)i * 3,
        "descending" => (ulong)(n - i),
        _ => (ulong)random.NextInt64() * 2 + (ulong)random.Next(2),
    };

    /// <summary>The window of a zero-padded decimal key, as db_bench's keys have.</summary>
    private static ulong DecimalWindow(int value)
    {
        ulong w = 0;
        foreach (char c in value.ToString("D8")) w = (w << 8) | c;
        return w;
    }

    [Fact]
    public void Sort_ScratchShorterThanItems_Throws()
    {
        var items = new WindowedAddress[WindowSort.RadixThreshold + 1];
        var comparer = new RankComparer([]);
        Assert.Throws<ArgumentException>(() => WindowSort.Sort(items.AsSpan(), new WindowedAddress[items.Length - 1], comparer));
    }
}
