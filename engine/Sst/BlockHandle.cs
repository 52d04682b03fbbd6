using LatticeKV.Coding;

namespace LatticeKV.Sst;

/// <summary>
/// Where a block lives in a table: offset and size of its stored contents, excluding the
/// 5-byte trailer. Encoded as two varint64s (FORMAT.md, "Block handle").
/// </summary>
internal readonly record struct BlockHandle(long Offset, long Size)
{
    public const int MaxEncodedLength = 2 * Varint.MaxLength64;

    public int EncodeTo(Span<byte> dest)
    {
        int n = Varint.Write(dest, (ulong)Offset);
        return n + Varint.Write(dest[n..], (ulong)Size);
    }

    public static BlockHandle Decode(ReadOnlySpan<byte> src)
    {
        var reader = new SpanReader(src);
        return Read(ref reader);
    }

    public static BlockHandle Read(ref SpanReader reader)
    {
        ulong offset = reader.ReadVarint();
        ulong size = reader.ReadVarint();
        if (offset > long.MaxValue / 2 || size > int.MaxValue) throw new CorruptionException($"block handle out of range ({offset}, {size})");
        return new BlockHandle((long)offset, (long)size);
    }
}
