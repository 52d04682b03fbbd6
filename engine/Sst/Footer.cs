using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Sst;

/// <summary>
/// The fixed 64-byte end of every table (FORMAT.md, "Footer"). All fields little-endian.
/// <code>
///  0  metaindex offset   u64      32  format version      u32
///  8  metaindex size     u64      36  encryption key id   u32 (0 = plaintext)
/// 16  index offset       u64      40  table salt (12 bytes; zero when plaintext)
/// 24  index size         u64      52  masked CRC-32C of bytes 0..51  u32
///                                 56  magic               u64
/// </code>
/// Persistent format: do not change.
/// </summary>
internal readonly record struct Footer(BlockHandle MetaIndex, BlockHandle Index, uint FormatVersion, uint EncryptionKeyId, byte[]? Salt = null)
{
    public const int Size = 64;
    public const ulong Magic = 0x454C424154564B4CUL; // the ASCII bytes "LKVTABLE" on disk
    /// <summary>Plaintext tables.</summary>
    public const uint CurrentFormatVersion = 1;
    /// <summary>Tables whose every block is sealed (FORMAT.md, "Sealed blocks").</summary>
    public const uint EncryptedFormatVersion = 2;
    public const int SaltSize = 12;
    /// <summary>Where the encryption key id lies in the footer.</summary>
    public const int KeyIdOffset = 36;

    public void EncodeTo(Span<byte> dest)
    {
        dest[..Size].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(dest, (ulong)MetaIndex.Offset);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], (ulong)MetaIndex.Size);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[16..], (ulong)Index.Offset);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], (ulong)Index.Size);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[32..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[36..], EncryptionKeyId);
        Salt?.AsSpan(0, SaltSize).CopyTo(dest[40..]);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[52..], Crc32C.Mask(Crc32C.Compute(dest[..52])));
        BinaryPrimitives.WriteUInt64LittleEndian(dest[56..], Magic);
    }

    public static Footer Decode(ReadOnlySpan<byte> src, string path, long offset)
    {
        if (src.Length != Size) throw new CorruptionException("file too short to hold a table footer", path, offset);
        if (BinaryPrimitives.ReadUInt64LittleEndian(src[56..]) != Magic)
            throw new CorruptionException("bad table magic number (not a LatticeKV table, or truncated)", path, offset + 56);
        uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(src[52..]));
        if (Crc32C.Compute(src[..52]) != expected) throw new CorruptionException("footer checksum mismatch", path, offset);
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(src[32..]);
        if (version == 0 || version > EncryptedFormatVersion)
            throw new CorruptionException($"table format version {version} is not supported by this reader (max {EncryptedFormatVersion})", path, offset + 32);
        uint keyId = BinaryPrimitives.ReadUInt32LittleEndian(src[36..]);
        if ((version == EncryptedFormatVersion) != (keyId != 0))
            throw new CorruptionException($"table format version {version} with encryption key id {keyId}", path, offset + 32);
        var meta = new BlockHandle((long)BinaryPrimitives.ReadUInt64LittleEndian(src), (long)BinaryPrimitives.ReadUInt64LittleEndian(src[8..]));
        var index = new BlockHandle((long)BinaryPrimitives.ReadUInt64LittleEndian(src[16..]), (long)BinaryPrimitives.ReadUInt64LittleEndian(src[24..]));
        if (meta.Offset < 0 || meta.Size < 0 || index.Offset < 0 || index.Size < 0)
            throw new CorruptionException("footer block handles out of range", path, offset);
        return new Footer(meta, index, version, keyId, keyId != 0 ? src.Slice(40, SaltSize).ToArray() : null);
    }
}
