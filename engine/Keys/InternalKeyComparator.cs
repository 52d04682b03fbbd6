using System.Runtime.CompilerServices;

namespace LatticeKV.Keys;

/// <summary>
/// Orders internal keys: user key ascending by the user comparator, then trailer descending
/// (newer sequence first), so a forward scan meets the newest version of each key first.
/// </summary>
internal sealed class InternalKeyComparator
{
    private readonly bool _bytewise;

    public InternalKeyComparator(KeyComparator user)
    {
        User = user;
        _bytewise = ReferenceEquals(user, KeyComparator.Bytewise);
    }

    public KeyComparator User { get; }

    /// <summary>True when user keys are ordered bytewise, so a shared prefix decides nothing and the first differing byte decides.</summary>
    public bool IsBytewise => _bytewise;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareUser(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        => _bytewise ? a.SequenceCompareTo(b) : User.Compare(a, b);

    public int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int c = CompareUser(a[..^InternalKey.TrailerSize], b[..^InternalKey.TrailerSize]);
        if (c != 0) return c;
        ulong ta = InternalKey.Trailer(a);
        ulong tb = InternalKey.Trailer(b);
        return ta > tb ? -1 : ta < tb ? 1 : 0;
    }
}
