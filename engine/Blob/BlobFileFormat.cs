using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Blob;

/// <summary>
/// The layout of a blob file (<c>NNNNNN.blob</c>, FORMAT.md §21): a header, records, a footer.
/// Version 1 files are plain; version 2 files (§21.7) belong to encrypted families: their header
/// names the data key and salt, and every record's stored bytes are sealed.
/// Persistent format: do not change.
/// <code>
/// header v1 := magic: fixed64  version: fixed32 (1)  column family: fixed32           (16 bytes)
/// header v2 := header v1 with version 2  key id: fixed32  key generation: fixed32
///              salt: 12 bytes  reserved: fixed32 (0)                                    (40 bytes)
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

    /// <summary>The version of a blob file whose records are sealed (FORMAT.md §21.7).</summary>
    public const uint SealedVersion = 2;

    /// <summary>The size of a version 1 header: the smallest offset a record can have.</summary>
    public const int HeaderSize = 16;

    public const int SealedHeaderSize = 40;

    public const int RecordHeaderSize = 16;

    public const int FooterSize = 32;

    /// <summary>Record flag: the stored bytes are one zstd frame holding the value.</summary>
    public const byte FlagZstd = 1;

    /// <summary>Record flag: the stored bytes are AES-GCM ciphertext and tag (version 2 files, every record).</summary>
    public const byte FlagSealed = 2;

    /// <summary>
    /// The largest value a record holds: a batch's values are at most 64 MiB (plus a TimedValue's
    /// 8 bytes), and merge results beyond this stay in their tables. Bounds what a damaged record
    /// can make a reader allocate.
    /// </summary>
    public const long MaxValueSize = 256L << 20;

    /// <summary>A sealed record's stored bytes are its plaintext's and the 16-byte tag.</summary>
    public const int SealOverhead = 16;

    public const long MaxRecordSize = MaxValueSize + RecordHeaderSize + SealOverhead;

    public static void WriteHeader(Span<byte> dest, uint columnFamily)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(dest, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[12..], columnFamily);
    }

    /// <summary>Fills the 40-byte header of a sealed blob file (FORMAT.md §21.7).</summary>
    public static void WriteSealedHeader(Span<byte> dest, uint columnFamily, uint keyId, uint generation, ReadOnlySpan<byte> salt)
    {
        WriteHeader(dest, columnFamily);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[8..], SealedVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[16..], keyId);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[20..], generation);
        salt[..SaltSize].CopyTo(dest[24..]);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[36..], 0);
    }

    /// <summary>The salt's size in a sealed header (the table salt's).</summary>
    public const int SaltSize = 12;

    /// <summary>
    /// Checks the first 16 bytes of a header (<paramref name="header"/> may hold more); returns
    /// its column family and version (1 or 2: a version 2 header continues with
    /// <see cref="ReadSealing"/>'s 24 bytes).
    /// </summary>
    public static uint ReadHeader(ReadOnlySpan<byte> header, string path, out uint version)
    {
        if (header.Length < HeaderSize || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
            throw new CorruptionException("not a blob file (bad magic)", path, 0);
        version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (version is not (Version or SealedVersion)) throw new CorruptionException($"blob file version {version} is not supported", path, 8);
        return BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
    }

    /// <summary>The key id, key generation and salt of a sealed header (all 40 bytes of it).</summary>
    public static (uint KeyId, uint Generation, byte[] Salt) ReadSealing(ReadOnlySpan<byte> header, string path)
    {
        if (header.Length < SealedHeaderSize) throw new CorruptionException("sealed blob file header cut short", path, 0);
        uint keyId = BinaryPrimitives.ReadUInt32LittleEndian(header[16..]);
        if (keyId == 0) throw new CorruptionException("sealed blob file names no key", path, 16);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[36..]) != 0) throw new CorruptionException("sealed blob file header's reserved field is not 0", path, 36);
        return (keyId, BinaryPrimitives.ReadUInt32LittleEndian(header[20..]), header.Slice(24, SaltSize).ToArray());
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
