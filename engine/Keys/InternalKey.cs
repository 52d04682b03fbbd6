using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LatticeKV.Keys;

/// <summary>
/// An internal key is the user key followed by an 8-byte little-endian trailer
/// <c>(sequence &lt;&lt; 8) | kind</c>. Every entry in the memtable and in tables is stored
/// under its internal key, so several versions of a user key coexist and readers pick the
/// newest one their snapshot may see. Persistent format: do not change.
/// </summary>
internal static class InternalKey
{
    public const int TrailerSize = 8;

    /// <summary>Sequence numbers use 56 bits; the top is reserved for sentinels.</summary>
    public const ulong MaxSequence = (1UL << 56) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong PackTrailer(ulong sequence, ValueKind kind) => (sequence << 8) | (byte)kind;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerSize];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Trailer(ReadOnlySpan<byte> internalKey) => BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerSize..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Sequence(ReadOnlySpan<byte> internalKey) => Trailer(internalKey) >> 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ValueKind Kind(ReadOnlySpan<byte> internalKey) => (ValueKind)(byte)Trailer(internalKey);

    /// <summary>True when <paramref name="internalKey"/> is long enough and its kind byte is known.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> internalKey)
        => internalKey.Length >= TrailerSize && ValueKinds.IsValid(internalKey[^TrailerSize]);

    public static int Encode(Span<byte> dest, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        userKey.CopyTo(dest);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[userKey.Length..], PackTrailer(sequence, kind));
        return userKey.Length + TrailerSize;
    }

    public static byte[] Create(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        var key = new byte[userKey.Length + TrailerSize];
        Encode(key, userKey, sequence, kind);
        return key;
    }

    /// <summary>
    /// The key sorting just before every real entry of <paramref name="userKey"/>: used as an
    /// exclusive file bound for a range tombstone ending at <paramref name="userKey"/>.
    /// </summary>
    public static byte[] RangeEndSentinel(ReadOnlySpan<byte> userKey) => Create(userKey, MaxSequence, ValueKind.RangeDeletion);

    public static bool IsRangeEndSentinel(ReadOnlySpan<byte> internalKey)
        => Trailer(internalKey) == PackTrailer(MaxSequence, ValueKind.RangeDeletion);

    public static string Describe(ReadOnlySpan<byte> internalKey)
    {
        if (internalKey.Length < TrailerSize) return "<malformed:" + Convert.ToHexString(internalKey) + ">";
        return $"{Convert.ToHexString(UserKey(internalKey))}@{Sequence(internalKey)}:{Kind(internalKey)}";
    }
}
