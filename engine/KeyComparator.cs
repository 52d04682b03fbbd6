namespace LatticeKV;

/// <summary>
/// Orders user keys. The default, <see cref="Bytewise"/>, is unsigned lexicographic order.
/// A custom comparator must be a strict total order and stable forever: its <see cref="Name"/>
/// is stored in the database and a database can only be reopened with the comparator of the
/// same name. Two keys may compare equal only when their bytes are equal (lookups hash key
/// bytes). Implementations must be thread-safe and must not allocate (they run per key).
/// </summary>
public abstract class KeyComparator
{
    /// <summary>Unsigned lexicographic byte order ("lattice.BytewiseComparator").</summary>
    public static KeyComparator Bytewise { get; } = new BytewiseComparator();

    /// <summary>The persistent identity of this order, stored in the MANIFEST.</summary>
    public abstract string Name { get; }

    /// <summary>Negative when <paramref name="a"/> sorts before <paramref name="b"/>, zero when equal, positive after.</summary>
    public abstract int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b);

    private sealed class BytewiseComparator : KeyComparator
    {
        public override string Name => "lattice.BytewiseComparator";

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);
    }
}
