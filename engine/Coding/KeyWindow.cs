using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace LatticeKV.Coding;

/// <summary>
/// Eight bytes of a key from a given offset, read big-endian and zero-padded, so comparing two
/// windows compares the keys bytewise over those bytes. Sorted structures keep the window after
/// the prefix all their keys share: most comparisons then never touch the keys themselves.
/// </summary>
internal static class KeyWindow
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Read(ReadOnlySpan<byte> key, int offset)
    {
        if (offset >= key.Length) return 0;
        var window = key[offset..];
        if (window.Length >= 8) return BinaryPrimitives.ReadUInt64BigEndian(window);
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        window.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }
}
