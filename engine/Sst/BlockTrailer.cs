using System.Buffers;
using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;

namespace LatticeKV.Sst;

/// <summary>
/// Every stored block is followed by a 5-byte trailer: a type byte (compression in the low
/// bits; bit 7 reserved for "encrypted") and the masked CRC-32C of the stored block bytes and
/// the type byte (FORMAT.md, "Block trailer"). This type reads and writes that envelope.
/// </summary>
internal static class BlockTrailer
{
    public const int Size = 5;
    public const byte EncryptedFlag = 0x80;

    /// <summary>Largest stored block we agree to read: guards allocation against corrupt handles.</summary>
    public const int MaxBlockSize = 1 << 30;

    public static void Write(Span<byte> trailer, ReadOnlySpan<byte> stored, byte type)
    {
        trailer[0] = type;
        uint crc = Crc32C.Extend(Crc32C.Compute(stored), trailer[..1]);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[1..], Crc32C.Mask(crc));
    }

    /// <summary>
    /// Reads, verifies and decompresses the block at <paramref name="handle"/>. Returns the
    /// contents in a new array, or one from <paramref name="pool"/> (its exact length may exceed
    /// the contents; see <paramref name="length"/>).
    /// </summary>
    public static byte[] ReadContents(IRandomAccessFile file, long fileLength, BlockHandle handle, bool verifyChecksum, out int length, Cache.BlockArrayPool? pool = null,
        Crypto.TableCipher? cipher = null, Crypto.BlockKind kind = Crypto.BlockKind.Data)
    {
        // Most blocks are compressed: their stored bytes are read into a pooled buffer and only
        // the decompressed contents get an array of their own (a cached block outlives the read).
        var raw = ArrayPool<byte>.Shared.Rent(StoredSize(file, fileLength, handle) + Size);
        try
        {
            var stored = ReadStored(file, fileLength, handle, verifyChecksum, raw, out byte type, cipher, kind);
            return Decode(stored, type, file.Path, handle.Offset, out length, pool);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// <see cref="ReadContents"/> into an array rented from <see cref="ArrayPool{T}.Shared"/>,
    /// which the caller returns once done: for contents read only while a table opens.
    /// </summary>
    public static byte[] ReadContentsRented(IRandomAccessFile file, long fileLength, BlockHandle handle, out int length,
        Crypto.TableCipher? cipher, Crypto.BlockKind kind)
    {
        var raw = ArrayPool<byte>.Shared.Rent(StoredSize(file, fileLength, handle) + Size);
        try
        {
            var stored = ReadStored(file, fileLength, handle, true, raw, out byte type, cipher, kind);
            return DecodeRented(stored, type, file.Path, handle.Offset, out length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>The stored size of the block at <paramref name="handle"/>, once the handle is known to lie inside the file.</summary>
    public static int StoredSize(IRandomAccessFile file, long fileLength, BlockHandle handle)
    {
        if (handle.Size > MaxBlockSize || handle.Offset < 0 || handle.Offset + handle.Size + Size > fileLength)
            throw new CorruptionException($"block handle ({handle.Offset}, {handle.Size}) lies outside the file of {fileLength} bytes", file.Path, handle.Offset);
        return (int)handle.Size;
    }

    /// <summary>
    /// Reads the block at <paramref name="handle"/> with its trailer into <paramref name="buffer"/>
    /// (at least <see cref="StoredSize"/> + <see cref="Size"/> bytes) and verifies it; returns the
    /// stored bytes (compressed or not, as <paramref name="type"/> says). A table with a
    /// <paramref name="cipher"/> must have every block sealed: the block is opened in place as
    /// <paramref name="kind"/>, and the returned type has the encrypted bit cleared.
    /// </summary>
    public static ReadOnlySpan<byte> ReadStored(IRandomAccessFile file, long fileLength, BlockHandle handle, bool verifyChecksum, byte[] buffer, out byte type,
        Crypto.TableCipher? cipher = null, Crypto.BlockKind kind = Crypto.BlockKind.Data)
        => ReadStored(file, fileLength, handle, verifyChecksum, buffer.AsSpan(), out type, cipher, kind);

    /// <summary>
    /// <see cref="ReadStored(IRandomAccessFile, long, BlockHandle, bool, byte[], out byte, Crypto.TableCipher?, Crypto.BlockKind)"/>
    /// into any memory of at least <see cref="StoredSize"/> + <see cref="Size"/> bytes (a block of
    /// the compressed tier's pool, read into where it is kept).
    /// </summary>
    public static Span<byte> ReadStored(IRandomAccessFile file, long fileLength, BlockHandle handle, bool verifyChecksum, Span<byte> buffer, out byte type,
        Crypto.TableCipher? cipher = null, Crypto.BlockKind kind = Crypto.BlockKind.Data)
    {
        int stored = StoredSize(file, fileLength, handle);
        if (file.ReadExactly(handle.Offset, buffer[..(stored + Size)]) != stored + Size)
            throw new CorruptionException("block truncated", file.Path, handle.Offset);
        type = buffer[stored];
        // A sealed block's tag authenticates its bytes and (through the associated data) its
        // type: the checksum would verify them a second time, so it is only written for tools.
        bool authenticated = cipher is not null && (type & EncryptedFlag) != 0;
        if (verifyChecksum && !authenticated)
        {
            uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(buffer[(stored + 1)..]));
            uint actual = Crc32C.Compute(buffer[..(stored + 1)]);
            if (expected != actual) throw new CorruptionException("block checksum mismatch", file.Path, handle.Offset);
        }
        if ((type & EncryptedFlag) != 0)
        {
            if (cipher is null) throw new CorruptionException("block is encrypted and this reader has no key for it", file.Path, handle.Offset);
            type &= unchecked((byte)~EncryptedFlag);
            if (!IsKnownType(type)) throw new CorruptionException($"unknown block compression type {type}", file.Path, handle.Offset);
            stored = cipher.Open(buffer[..stored], handle.Offset, kind, type, file.Path);
            return buffer[..stored];
        }
        if (cipher is not null) throw new CorruptionException("plaintext block in an encrypted table", file.Path, handle.Offset);
        if (!IsKnownType(type)) throw new CorruptionException($"unknown block compression type {type}", file.Path, handle.Offset);
        return buffer[..stored];
    }

    private static bool IsKnownType(byte type) => type is (byte)CompressionType.None or (byte)CompressionType.Snappy or (byte)CompressionType.Zstd;

    /// <summary>
    /// The contents of verified stored bytes of <paramref name="type"/>: a copy, or their
    /// decompression, in a new array or one from <paramref name="pool"/>. <paramref name="path"/>
    /// and <paramref name="offset"/> name the block in errors.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> stored, byte type, string path, long offset, out int length, Cache.BlockArrayPool? pool)
    {
        length = DecodedLength(stored, type, path, offset);
        var output = pool?.Rent(length) ?? GC.AllocateUninitializedArray<byte>(length);
        try { DecodeInto(stored, type, output.AsSpan(0, length), path, offset); }
        catch
        {
            pool?.Return(output);
            throw;
        }
        return output;
    }

    /// <summary>
    /// <see cref="Decode"/> into an array rented from <see cref="ArrayPool{T}.Shared"/>, which the
    /// caller returns: for contents needed only for a moment (a table's index while it opens),
    /// which would otherwise leave a large array behind for the collector.
    /// </summary>
    public static byte[] DecodeRented(ReadOnlySpan<byte> stored, byte type, string path, long offset, out int length)
    {
        length = DecodedLength(stored, type, path, offset);
        var output = ArrayPool<byte>.Shared.Rent(length);
        try { DecodeInto(stored, type, output.AsSpan(0, length), path, offset); }
        catch
        {
            ArrayPool<byte>.Shared.Return(output);
            throw;
        }
        return output;
    }

    /// <summary>The length of the contents of stored bytes of <paramref name="type"/>, checked against what damage could claim.</summary>
    public static int DecodedLength(ReadOnlySpan<byte> stored, byte type, string path, long offset)
    {
        if (type == (byte)CompressionType.Zstd) return ZstdBlock.DecodedLength(stored, path, offset);
        if (type != (byte)CompressionType.Snappy) return stored.Length;
        int size;
        try { size = Snappier.Snappy.GetUncompressedLength(stored); }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new CorruptionException("bad snappy length header", path, offset, ex);
        }
        // Snappy expands at most ~21x (a 3-byte copy yields 64 bytes): a bigger claim is damage,
        // and must not make us allocate gigabytes for garbage.
        if (size < 0 || size > MaxBlockSize || size > (long)stored.Length * 32 + 64)
            throw new CorruptionException($"snappy block of {stored.Length} bytes claims {size} bytes", path, offset);
        return size;
    }

    /// <summary>Fills <paramref name="output"/> (of <see cref="DecodedLength"/> bytes) with the contents of the stored bytes.</summary>
    public static void DecodeInto(ReadOnlySpan<byte> stored, byte type, Span<byte> output, string path, long offset)
    {
        if (type == (byte)CompressionType.Zstd)
        {
            ZstdBlock.DecompressInto(stored, output, path, offset);
            return;
        }
        if (type != (byte)CompressionType.Snappy)
        {
            stored.CopyTo(output);
            return;
        }
        bool ok;
        int written;
        try { ok = Snappier.Snappy.TryDecompress(stored, output, out written); }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new CorruptionException("snappy data is damaged", path, offset, ex);
        }
        if (!ok || written != output.Length) throw new CorruptionException("snappy data is damaged", path, offset);
    }

    /// <summary>
    /// Compresses <paramref name="contents"/> when that saves at least 12.5%; returns the bytes
    /// to store and their type. <paramref name="scratch"/> is a caller-owned buffer that may be grown.
    /// </summary>
    public static ReadOnlySpan<byte> MaybeCompress(ReadOnlySpan<byte> contents, CompressionType compression, ref byte[] scratch, out byte type,
        ZstdSharp.Compressor? zstd = null)
    {
        type = (byte)CompressionType.None;
        if (compression == CompressionType.None || contents.Length < 64) return contents;
        if (compression == CompressionType.Zstd)
        {
            if (zstd is null) throw new InvalidOperationException("zstd compression needs the writer's compressor");
            if (!ZstdBlock.TryCompress(zstd, contents, ref scratch, out int packed) || packed > contents.Length - contents.Length / 8) return contents;
            type = (byte)CompressionType.Zstd;
            return scratch.AsSpan(0, packed);
        }
        int max = Snappier.Snappy.GetMaxCompressedLength(contents.Length);
        if (scratch.Length < max)
        {
            ArrayPool<byte>.Shared.Return(scratch);
            scratch = ArrayPool<byte>.Shared.Rent(max);
        }
        if (!Snappier.Snappy.TryCompress(contents, scratch, out int written)) return contents;
        if (written > contents.Length - contents.Length / 8) return contents;
        type = (byte)CompressionType.Snappy;
        return scratch.AsSpan(0, written);
    }
}
