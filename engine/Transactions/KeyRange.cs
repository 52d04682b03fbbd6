using LatticeKV.Keys;
using LatticeKV.Manifest;

namespace LatticeKV.Transactions;

/// <summary>
/// The user keys an iterator went over: from <see cref="Low"/> (inclusive; null: the first key)
/// to <see cref="High"/> (inclusive when <see cref="HighInclusive"/>; null: past the last key).
/// Grown in place by the iterator that owns it as it moves; read by the commit check, on the
/// committing thread's behalf while that thread waits.
/// </summary>
internal sealed class KeyRange(byte[]? low, byte[]? high, bool highInclusive)
{
    public byte[]? Low { get; set; } = low;

    public byte[]? High { get; set; } = high;

    public bool HighInclusive { get; set; } = highInclusive;

    public bool IsAboveLow(ReadOnlySpan<byte> key, InternalKeyComparator cmp) => Low is null || cmp.CompareUser(key, Low) >= 0;

    public bool IsBelowHigh(ReadOnlySpan<byte> key, InternalKeyComparator cmp)
    {
        if (High is null) return true;
        int c = cmp.CompareUser(key, High);
        return c < 0 || (c == 0 && HighInclusive);
    }

    /// <summary>True when the user keys [<paramref name="start"/>, <paramref name="end"/>) meet this range.</summary>
    public bool OverlapsHalfOpen(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end, InternalKeyComparator cmp)
        => (Low is null || cmp.CompareUser(end, Low) > 0) && IsBelowHigh(start, cmp);

    /// <summary>True when the table's keys may meet this range.</summary>
    public bool Overlaps(FileMetaData f, InternalKeyComparator cmp)
    {
        if (Low is not null)
        {
            int c = cmp.CompareUser(f.LargestUserKey, Low);
            if (c < 0 || (c == 0 && f.LargestIsExclusive)) return false;
        }
        return IsBelowHigh(f.SmallestUserKey, cmp);
    }
}
