using System.Runtime.CompilerServices;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// One step of a forward scan for a seek target in a bytewise table's prefix-compressed entries,
/// shared by <see cref="BlockIterator"/> and <see cref="PrefixDecodedSeek"/>: whether the entry
/// just parsed sorts at or after the target, looking only at what prefix compression leaves
/// undecided. Once a key is known to sort below the target's user key at byte <c>m</c> (equal
/// before it, smaller there), a next key that shares more than <c>m</c> bytes with it is below
/// the target as well, without a look at its bytes; one that shares fewer equals the target up to
/// what it shares, so the comparison starts there. Most keys are decided by one byte or none.
/// </summary>
internal static class BytewiseSeekStep
{
    /// <summary>
    /// Whether <paramref name="key"/> (an internal key of at least the trailer's length, sharing
    /// <paramref name="shared"/> bytes with the key before it) sorts at or after
    /// <paramref name="target"/>. <paramref name="m"/> carries the scan's state from key to key:
    /// -1 to start, and -1 whenever the last key told nothing about the next.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool AtOrAfter(ReadOnlySpan<byte> key, int shared, ReadOnlySpan<byte> target, SpanComparer comparer, ref int m)
    {
        int length = key.Length - InternalKey.TrailerSize;
        int from = 0;
        if (m >= 0)
        {
            if (shared > m)
            {
                // Byte m is the last key's, below the target's; or this key ends before it,
                // a proper prefix of the target's user key.
                if (length <= m) m = -1;
                return false;
            }
            if (length <= shared)
            {
                m = -1; // equal to the target's first bytes and shorter: below
                return false;
            }
            from = shared;
        }
        var mine = key.Slice(from, length - from);
        var theirs = target[from..^InternalKey.TrailerSize];
        int common = mine.Length > 0 && theirs.Length > 0 && mine[0] != theirs[0] ? 0 : mine.CommonPrefixLength(theirs);
        if (common < mine.Length && common < theirs.Length)
        {
            if (mine[common] > theirs[common]) return true;
            m = from + common;
            return false;
        }
        m = -1;
        if (mine.Length < theirs.Length) return false;
        // A longer user key sorts after; an equal one as the comparator orders versions.
        return mine.Length > theirs.Length || comparer.Compare(key, target) >= 0;
    }
}
