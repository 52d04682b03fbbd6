using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Blob;

/// <summary>
/// The layout of a blob file (<c>NNNNNN.blob</c>, FORMAT.md §21): a header, records, a footer.
/// Persistent format: do not change.
/// <code>
/// header := magic: fixed64  version: fixed32  column family: fixed32                 (16 bytes)
/// record := value size: fixed32  stored size: fixed32  flags: u8  reserved: 3 bytes
///           crc: fixed32 (masked CRC-32C of the 12 bytes before it and the stored bytes)
///           stored bytes                                                        (16 + stored)
/// footer := record count: fixed64  value bytes: fixed64  crc: fixed32 (masked CRC-32C of the
///           16 bytes before it)  reserved: fixed32  magic: fixed64                      (32 bytes)
/// </code>
/// </summary>
internal static class BlobFileFormat
{
    /// <summary>"LKVBLOB\x01" read little-endian.</summary>
    public const ulong Magic = 0x01424F4C42564B4CUL;

    public const uint Version = 1;

    public const int HeaderSize = 16;

    public const int RecordHeaderSize = 16;

    public const int FooterSize = 32;

    /// <summary>Record flag: the stored bytes are one zstd frame holding the value.</summary>
    public const byte FlagZstd = 1;

    /// <summary>
    /// The largest value a record holds: a batch's values are at most 64 MiB (plus a TimedValue's
    /// 8 bytes), and merge results beyond this stay in their tables. Bounds what a damaged record
    /// can make a reader allocate.
    /// </summary>
    public const long MaxValueSize = 256L << 20;

    public const long MaxRecordSize = MaxValueSize + RecordHeaderSize;

    public static void WriteHeader(Span<byte> dest, uint columnFamily)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[12..], columnFamily);
    }

    /// <summary>Checks a header; returns its column family.</summary>
    public static uint ReadHeader(ReadOnlySpan<byte> header, string path)
    {
        if (header.Length < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
            throw new CorruptionException("not a blob file (bad magic)", path, 0);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version != Version) throw new CorruptionException($"blob file version {version} is not supported", path, 8);
        return BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
    }

    /// <summary>Fills the 16-byte record header for <paramref name="stored"/>; returns its CRC.</summary>
    public static uint WriteRecordHeader(Span<byte> dest, int valueSize, ReadOnlySpan<byte> stored, byte flags)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dest, (uint)valueSize);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[4..], (uint)stored.Length);
        dest[8] = flags;
        dest[9] = dest[10] = dest[11] = 0;
        uint crc = RecordCrc(dest[..12], stored);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[12..], crc);
        return crc;
    }

    public static uint RecordCrc(ReadOnlySpan<byte> headerStart, ReadOnlySpan<byte> stored)
        => Crc32C.Mask(Crc32C.Extend(Crc32C.Compute(headerStart[..12]), stored));

    public static void WriteFooter(Span<byte> dest, long count, long valueBytes)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, (ulong)count);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], (ulong)valueBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[16..], Crc32C.Mask(Crc32C.Compute(dest[..16])));
        BinaryPrimitives.WriteUInt32LittleEndian(dest[20..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], Magic);
    }

    /// <summary>Checks a footer; returns the record count and value bytes it records.</summary>
    public static (long Count, long ValueBytes) ReadFooter(ReadOnlySpan<byte> footer, string path, long offset)
    {
        if (footer.Length < FooterSize || BinaryPrimitives.ReadUInt64LittleEndian(footer[24..]) != Magic)
            throw new CorruptionException("blob file footer is missing or damaged (a file cut short?)", path, offset);
        if (Crc32C.Mask(Crc32C.Compute(footer[..16])) != BinaryPrimitives.ReadUInt32LittleEndian(footer[16..]))
            throw new CorruptionException("blob file footer checksum mismatch", path, offset);
        ulong count = BinaryPrimitives.ReadUInt64LittleEndian(footer), bytes = BinaryPrimitives.ReadUInt64LittleEndian(footer[8..]);
        if (count > long.MaxValue || bytes > long.MaxValue) throw new CorruptionException("blob file footer counts out of range", path, offset);
        return ((long)count, (long)bytes);
    }
}
