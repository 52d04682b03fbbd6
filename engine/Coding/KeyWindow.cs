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
        // No stack buffer: inlined into a loop, a stackalloc would grow the frame per iteration.
        ulong value = 0;
        for (int i = 0; i < window.Length; i++) value |= (ulong)window[i] << (56 - 8 * i);
        return value;
    }

    /// <summary>
    /// First index whose window is at least (or, when <paramref name="strict"/>, above) the
    /// target, in windows sorted ascending. Branch-free: a seek's probes are unpredictable, and a
    /// mispredicted branch per probe costs more than the comparisons themselves.
    /// </summary>
    public static int LowerBound(ReadOnlySpan<ulong> windows, ulong target, bool strict)
    {
        int lo = 0, n = windows.Length;
        if (strict && target == ulong.MaxValue) return n;
        ulong bound = strict ? target + 1 : target; // first index whose window is >= bound
        while (n > 1)
        {
            int half = n >>> 1;
            lo = windows[lo + half - 1] < bound ? lo + half : lo;
            n -= half;
        }
        return n == 1 && windows[lo] < bound ? lo + 1 : lo;
    }
}
