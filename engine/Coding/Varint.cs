namespace LatticeKV.Coding;

/// <summary>
/// LEB128-style variable-length unsigned integers (7 bits per byte, low group first, high bit
/// set on every byte but the last), as LevelDB encodes them. Persistent format: do not change.
/// </summary>
internal static class Varint
{
    public const int MaxLength32 = 5;
    public const int MaxLength64 = 10;

    public static int Length(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="dest"/>; returns bytes written.</summary>
    public static int Write(Span<byte> dest, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            dest[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        dest[i++] = (byte)value;
        return i;
    }

    /// <summary>Decodes a 64-bit varint; false when the input ends early or overflows.</summary>
    public static bool TryRead(ReadOnlySpan<byte> src, out ulong value, out int length)
    {
        ulong result = 0;
        for (int i = 0, shift = 0; i < src.Length && i < MaxLength64; i++, shift += 7)
        {
            byte b = src[i];
            if (i == MaxLength64 - 1 && b > 1) break; // would overflow 64 bits
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = result;
                length = i + 1;
                return true;
            }
        }
        value = 0;
        length = 0;
        return false;
    }

    /// <summary>Decodes a varint that must fit in 32 bits; false on truncation or overflow.</summary>
    public static bool TryRead32(ReadOnlySpan<byte> src, out uint value, out int length)
    {
        // Fast path: one-byte values dominate (lengths of short keys and values).
        if (src.Length > 0 && src[0] < 0x80)
        {
            value = src[0];
            length = 1;
            return true;
        }
        if (TryRead(src, out ulong v, out length) && v <= uint.MaxValue && length <= MaxLength32)
        {
            value = (uint)v;
            return true;
        }
        value = 0;
        length = 0;
        return false;
    }
}
