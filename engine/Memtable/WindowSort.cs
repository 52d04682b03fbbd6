using System.Runtime.CompilerServices;

namespace LatticeKV.Memtable;

/// <summary>A memtable entry's address with the key window (<see cref="SortedRun"/>) it sorts by first.</summary>
internal readonly record struct WindowedAddress(ulong Window, long Address);

/// <summary>
/// Sorts entries into a run's order: ascending windows, and among equal windows the order of a
/// comparator (which must agree with the windows where they differ). A stable least-significant
/// -digit radix sort on the windows does the bulk, one pass per window byte that is not the same
/// in every entry; then each group of equal windows is sorted by the comparator. A flush sorts
/// its whole memtable, so a comparison sort there reads every entry's window about log2(n) times
/// through an indirect comparer call, while the radix passes read it a fixed number of times and
/// only equal windows (versions of one key, keys longer than the window) read the keys. The
/// result is the order a comparison sort with the same comparator gives, so tables are unchanged.
/// </summary>
internal static class WindowSort
{
    /// <summary>Below this many entries a comparison sort costs less than the radix histograms.</summary>
    public const int RadixThreshold = 256;

    private const int Digits = sizeof(ulong);
    private const int Buckets = 256;

    /// <summary>
    /// Sorts <paramref name="items"/>; <paramref name="scratch"/> (at least as long, contents
    /// ignored and overwritten) is the radix passes' second buffer.
    /// </summary>
    public static void Sort<TComparer>(Span<WindowedAddress> items, Span<WindowedAddress> scratch, TComparer comparer)
        where TComparer : IComparer<WindowedAddress>
    {
        if (items.Length < RadixThreshold)
        {
            items.Sort(comparer);
            return;
        }
        if (scratch.Length < items.Length) throw new ArgumentException("scratch is shorter than the items", nameof(scratch));
        RadixByWindow(items, scratch[..items.Length]);
        SortEqualWindows(items, comparer);
    }

    private static void RadixByWindow(Span<WindowedAddress> items, Span<WindowedAddress> scratch)
    {
        int n = items.Length;
        Span<int> counts = stackalloc int[Digits * Buckets];
        counts.Clear();
        foreach (var item in items)
        {
            ulong w = item.Window;
            for (int d = 0; d < Digits; d++) counts[d * Buckets + (int)((w >> (8 * d)) & 0xFF)]++;
        }
        var source = items;
        var target = scratch;
        for (int d = 0; d < Digits; d++)
        {
            var count = counts.Slice(d * Buckets, Buckets);
            // A byte every window shares orders nothing: skip its pass.
            if (count[(int)((items[0].Window >> (8 * d)) & 0xFF)] == n) continue;
            int start = 0;
            for (int b = 0; b < Buckets; b++)
            {
                int c = count[b];
                count[b] = start;
                start += c;
            }
            int shift = 8 * d;
            foreach (var item in source) target[count[(int)((item.Window >> shift) & 0xFF)]++] = item;
            var swapped = source;
            source = target;
            target = swapped;
        }
        if (source != items) source.CopyTo(items);
    }

    private static void SortEqualWindows<TComparer>(Span<WindowedAddress> items, TComparer comparer)
        where TComparer : IComparer<WindowedAddress>
    {
        for (int i = 0; i < items.Length;)
        {
            ulong window = items[i].Window;
            int j = i + 1;
            while (j < items.Length && items[j].Window == window) j++;
            if (j - i > 1) SortGroup(items[i..j], comparer);
            i = j;
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SortGroup<TComparer>(Span<WindowedAddress> group, TComparer comparer)
        where TComparer : IComparer<WindowedAddress>
    {
        if (group.Length > 16)
        {
            group.Sort(comparer);
            return;
        }
        // Groups are mostly a key's few versions: insertion sort reads each key about once.
        for (int k = 1; k < group.Length; k++)
        {
            var item = group[k];
            int m = k - 1;
            while (m >= 0 && comparer.Compare(group[m], item) > 0)
            {
                group[m + 1] = group[m];
                m--;
            }
            group[m + 1] = item;
        }
    }
}
