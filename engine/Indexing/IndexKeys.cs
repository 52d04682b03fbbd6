using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV;

/// <summary>Builds index keys as the built-in extractors write them, for queries.</summary>
public static class IndexKeys
{
    /// <summary>An integer as 8 big-endian bytes with the sign bit flipped, so keys sort numerically.</summary>
    public static byte[] Int64(long value)
    {
        var key = new byte[8];
        WriteInt64(key, value);
        return key;
    }

    internal static void WriteInt64(Span<byte> destination, long value) => BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)value ^ 0x8000_0000_0000_0000UL);

    /// <summary>The key <see cref="IndexExtractors.Composite"/> yields for these parts (all of them).</summary>
    public static byte[] Composite(params byte[][] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var w = new ByteWriter();
        for (int i = 0; i < parts.Length; i++)
        {
            if (i < parts.Length - 1) WritePart(w, parts[i]);
            else w.Write(parts[i]);
        }
        return w.ToArray();
    }

    /// <summary>
    /// The prefix shared by every composite key whose leading parts are exactly
    /// <paramref name="parts"/> (for <see cref="LatticeDb.QueryIndexPrefix"/>).
    /// </summary>
    public static byte[] CompositePrefix(params byte[][] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var w = new ByteWriter();
        foreach (var p in parts) WritePart(w, p);
        return w.ToArray();
    }

    /// <summary>A leading part of a composite key: zero bytes escaped as 00 FF, then 00 01.</summary>
    internal static void WritePart(ByteWriter w, ReadOnlySpan<byte> part)
    {
        Indexing.IndexKeyEncoding.WriteEscaped(w, part);
        w.WriteByte(0x00);
        w.WriteByte(0x01);
    }
}
