using System.Buffers;
using System.Buffers.Binary;
using LatticeKV.Crypto;
using LatticeKV.Io;
using ZstdSharp;

namespace LatticeKV.Blob;

/// <summary>
/// Reads records of one blob file by <see cref="BlobReference"/>. Thread-safe (positional reads
/// only). Everything read is checked: a record that does not match its reference, its checksum
/// or its length is a <see cref="CorruptionException"/> naming the file and the record's offset.
/// A sealed file (FORMAT.md §21.7) is opened with the key its header names; a record that does
/// not authenticate (damaged, moved within or between files, another key) is one too.
/// </summary>
internal sealed class BlobFileReader : IDisposable
{
    [ThreadStatic] private static Decompressor? t_decompressor;

    private readonly IRandomAccessFile _file;
    private readonly long _length;
    private readonly TableCipher? _cipher;
    private readonly int _recordsStart;

    private BlobFileReader(IRandomAccessFile file, long number, uint columnFamily, long count, long recordBytes, TableCipher? cipher)
    {
        _file = file;
        _cipher = cipher;
        _recordsStart = cipher is null ? BlobFileFormat.HeaderSize : BlobFileFormat.SealedHeaderSize;
        _length = file.Length;
        Number = number;
        ColumnFamily = columnFamily;
        RecordCount = count;
        RecordBytes = recordBytes;
    }

    public long Number { get; }

    public string Path => _file.Path;

    public uint ColumnFamily { get; }

    public long RecordCount { get; }

    public long RecordBytes { get; }

    /// <summary>The data key sealing the records (0: a plain file).</summary>
    public uint KeyId => _cipher?.KeyId ?? 0;

    /// <summary>
    /// Opens <paramref name="file"/>, checking its header and footer (the reader owns the file, also
    /// on failure). A sealed file needs <paramref name="keys"/>: without them, or when its key is
    /// unknown or destroyed, an <see cref="EncryptionKeyException"/>.
    /// </summary>
    public static BlobFileReader Open(IRandomAccessFile file, long number, KeyRegistry? keys = null)
    {
        TableCipher? cipher = null;
        try
        {
            long length = file.Length;
            if (length < BlobFileFormat.HeaderSize + BlobFileFormat.FooterSize)
                throw new CorruptionException($"blob file of {length} bytes is too short", file.Path, 0);
            Span<byte> header = stackalloc byte[BlobFileFormat.SealedHeaderSize];
            int headerSize = BlobFileFormat.HeaderSize;
            if (file.ReadExactly(0, header[..headerSize]) != headerSize) throw new CorruptionException("blob file header cut short", file.Path, 0);
            uint cf = BlobFileFormat.ReadHeader(header, file.Path, out uint version);
            if (version == BlobFileFormat.SealedVersion)
            {
                headerSize = BlobFileFormat.SealedHeaderSize;
                if (length < headerSize + BlobFileFormat.FooterSize || file.ReadExactly(0, header) != headerSize)
                    throw new CorruptionException("sealed blob file header cut short", file.Path, 0);
                cipher = OpenCipher(header, cf, number, keys, file.Path);
            }
            Span<byte> footer = stackalloc byte[BlobFileFormat.FooterSize];
            long footerAt = length - BlobFileFormat.FooterSize;
            if (file.ReadExactly(footerAt, footer) != footer.Length) throw new CorruptionException("blob file footer cut short", file.Path, footerAt);
            var (count, bytes) = BlobFileFormat.ReadFooter(footer, file.Path, footerAt);
            if (bytes != footerAt - headerSize)
                throw new CorruptionException($"blob file footer records {bytes} record bytes, the file holds {footerAt - headerSize}", file.Path, footerAt);
            return new BlobFileReader(file, number, cf, count, bytes, cipher);
        }
        catch
        {
            cipher?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>The cipher of a sealed file from its header: the key must be the family's, of the generation the header records.</summary>
    private static TableCipher OpenCipher(ReadOnlySpan<byte> header, uint cf, long number, KeyRegistry? keys, string path)
    {
        var (keyId, generation, salt) = BlobFileFormat.ReadSealing(header, path);
        if (keys is null) throw new EncryptionKeyException($"blob file '{path}' is sealed (key {keyId}); open the database with DbOptions.Encryption");
        var key = keys.Require(keyId, path);
        if (key.Purpose != KeyPurpose.Data || key.ColumnFamilyId != cf || key.Generation != generation)
            throw new CorruptionException($"sealed blob file names key {keyId} of generation {generation} for family {cf}; the registry holds {key}", path, 16);
        return TableCipher.ForExistingBlobFile(key, salt, keys.DatabaseId, number);
    }

    /// <summary>The value <paramref name="reference"/> points at, in a new array.</summary>
    public byte[] Read(in BlobReference reference)
    {
        var value = GC.AllocateUninitializedArray<byte>(CheckedValueSize(reference));
        ReadInto(reference, value);
        return value;
    }

    /// <summary>
    /// The size of the value <paramref name="reference"/> points at, once the reference is known
    /// to lie within this file's records and to claim no more than a record may hold (a reference
    /// comes from a checksummed table, but nothing that size is allocated before this check).
    /// </summary>
    public int CheckedValueSize(in BlobReference reference)
    {
        if (reference.FileNumber != Number) throw new CorruptionException($"blob reference to file {reference.FileNumber} read from file {Number}", Path, reference.Offset);
        long offset = reference.Offset;
        if (offset < _recordsStart || reference.RecordSize > _length - BlobFileFormat.FooterSize - offset)
            throw new CorruptionException($"blob record of {reference.RecordSize} bytes at {offset} lies outside the file's records", Path, offset);
        if (reference.ValueSize > BlobFileFormat.MaxValueSize)
            throw new CorruptionException($"blob reference value size {reference.ValueSize} out of range", Path, offset);
        return (int)reference.ValueSize;
    }

    /// <summary>
    /// Reads the value <paramref name="reference"/> points at into <paramref name="destination"/>
    /// (<see cref="CheckedValueSize"/> bytes long): the record goes through a pooled buffer, is
    /// opened there when sealed, and is copied or decompressed once, into the destination.
    /// </summary>
    public void ReadInto(in BlobReference reference, Span<byte> destination)
    {
        int valueSize = CheckedValueSize(reference);
        long offset = reference.Offset;
        if (destination.Length != valueSize) throw new ArgumentException("destination is not the value's size", nameof(destination));
        int recordSize = (int)reference.RecordSize;
        var buffer = ArrayPool<byte>.Shared.Rent(recordSize);
        try
        {
            var record = buffer.AsSpan(0, recordSize);
            if (_file.ReadExactly(offset, record) != record.Length) throw new CorruptionException("blob record cut short", Path, offset);
            if (BinaryPrimitives.ReadUInt32LittleEndian(record) != reference.ValueSize)
                throw new CorruptionException($"blob record claims {BinaryPrimitives.ReadUInt32LittleEndian(record)} value bytes, its reference says {reference.ValueSize}", Path, offset);
            var stored = CheckRecord(record, Path, offset, _cipher is not null, out uint crc, out byte flags, out _);
            if (crc != reference.Checksum) throw new CorruptionException("blob record is not the one its reference names (checksum differs)", Path, offset);
            if (_cipher is not null)
            {
                var opened = record[BlobFileFormat.RecordHeaderSize..];
                stored = opened[.._cipher.Open(opened, offset, Crypto.BlockKind.BlobRecord, flags, Path)];
            }
            CheckExpandable(stored, flags, (uint)valueSize, Path, offset);
            Expand(stored, flags, destination, Path, offset);
        }
        finally
        {
            // An encrypted family's plaintext does not stay behind in a shared pool.
            ArrayPool<byte>.Shared.Return(buffer, clearArray: _cipher is not null);
        }
    }

    /// <summary>
    /// Checks and decodes one whole record (<paramref name="record"/>: header and stored bytes,
    /// nothing more) and returns its value; <paramref name="crc"/> is the record's checksum.
    /// <paramref name="cipher"/> is the file's when it is sealed: then every record must be sealed
    /// and authenticate at <paramref name="offset"/>, else none may be.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> record, string path, long offset, out uint crc, TableCipher? cipher = null)
    {
        var stored = CheckRecord(record, path, offset, cipher is not null, out crc, out byte flags, out uint valueSize);
        if (cipher is not null)
        {
            var opened = stored.ToArray();
            int length = cipher.Open(opened, offset, Crypto.BlockKind.BlobRecord, flags, path);
            stored = opened.AsSpan(0, length);
        }
        CheckExpandable(stored, flags, valueSize, path, offset);
        var value = GC.AllocateUninitializedArray<byte>((int)valueSize);
        Expand(stored, flags, value, path, offset);
        return value;
    }

    /// <summary>
    /// Checks a record's header and checksum (before anything is opened, decompressed or
    /// allocated) and returns its stored bytes; <paramref name="sealedFile"/> says every record
    /// must be sealed, else none may be.
    /// </summary>
    private static ReadOnlySpan<byte> CheckRecord(ReadOnlySpan<byte> record, string path, long offset, bool sealedFile, out uint crc, out byte flags, out uint valueSize)
    {
        if (record.Length < BlobFileFormat.RecordHeaderSize) throw new CorruptionException($"blob record of {record.Length} bytes is too short", path, offset);
        valueSize = BinaryPrimitives.ReadUInt32LittleEndian(record);
        uint storedSize = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        flags = record[8];
        crc = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        if (storedSize != record.Length - BlobFileFormat.RecordHeaderSize)
            throw new CorruptionException($"blob record claims {storedSize} stored bytes, has {record.Length - BlobFileFormat.RecordHeaderSize}", path, offset);
        ReadOnlySpan<byte> stored = record[BlobFileFormat.RecordHeaderSize..];
        if (BlobFileFormat.RecordCrc(record, stored) != crc) throw new CorruptionException("blob record checksum mismatch", path, offset);
        if ((flags & ~(BlobFileFormat.FlagZstd | BlobFileFormat.FlagSealed)) != 0 || record[9] != 0 || record[10] != 0 || record[11] != 0)
            throw new CorruptionException($"blob record has unknown flags {flags}", path, offset);
        if (valueSize > BlobFileFormat.MaxValueSize) throw new CorruptionException($"blob record value size {valueSize} out of range", path, offset);
        bool isSealed = (flags & BlobFileFormat.FlagSealed) != 0;
        if (isSealed != sealedFile)
            throw new CorruptionException(isSealed ? "sealed blob record in a plain blob file" : "plain blob record in a sealed blob file", path, offset);
        return stored;
    }

    /// <summary>
    /// Checks that the (opened) stored bytes hold exactly <paramref name="valueSize"/> value bytes:
    /// whole, or in a zstd frame that records that size, before anything that size is allocated.
    /// </summary>
    private static void CheckExpandable(ReadOnlySpan<byte> stored, byte flags, uint valueSize, string path, long offset)
    {
        if ((flags & BlobFileFormat.FlagZstd) == 0)
        {
            if (valueSize != stored.Length) throw new CorruptionException($"uncompressed blob record holds {stored.Length} bytes, claims {valueSize}", path, offset);
            return;
        }
        ulong framed;
        try { framed = Decompressor.GetDecompressedSize(stored); }
        catch (ZstdException ex)
        {
            throw new CorruptionException("blob record's zstd frame header is damaged", path, offset, ex);
        }
        if (framed != valueSize) throw new CorruptionException($"blob record's zstd frame holds {framed} bytes, the record claims {valueSize}", path, offset);
    }

    /// <summary>Writes the value of checked stored bytes into <paramref name="value"/>, exactly its size.</summary>
    private static void Expand(ReadOnlySpan<byte> stored, byte flags, Span<byte> value, string path, long offset)
    {
        if ((flags & BlobFileFormat.FlagZstd) == 0)
        {
            stored.CopyTo(value);
            return;
        }
        try
        {
            if (!(t_decompressor ??= new Decompressor()).TryUnwrap(stored, value, out int written) || written != value.Length)
                throw new CorruptionException("blob record's zstd data is damaged", path, offset);
        }
        catch (ZstdException ex)
        {
            throw new CorruptionException("blob record's zstd data is damaged", path, offset, ex);
        }
    }

    /// <summary>Reads every record in order, checking each; returns the count (for verification and repair).</summary>
    public long VerifyAll(Action<long, byte[]>? onRecord = null)
    {
        long offset = _recordsStart, end = _length - BlobFileFormat.FooterSize, count = 0;
        Span<byte> header = stackalloc byte[BlobFileFormat.RecordHeaderSize];
        while (offset < end)
        {
            if (end - offset < BlobFileFormat.RecordHeaderSize || _file.ReadExactly(offset, header) != header.Length)
                throw new CorruptionException("blob record header cut short", Path, offset);
            long stored = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            if (stored > end - offset - BlobFileFormat.RecordHeaderSize)
                throw new CorruptionException($"blob record claims {stored} stored bytes beyond the file's records", Path, offset);
            var record = GC.AllocateUninitializedArray<byte>((int)(BlobFileFormat.RecordHeaderSize + stored));
            if (_file.ReadExactly(offset, record) != record.Length) throw new CorruptionException("blob record cut short", Path, offset);
            var value = Decode(record, Path, offset, out _, _cipher);
            onRecord?.Invoke(offset, value);
            offset += record.Length;
            count++;
        }
        if (count != RecordCount) throw new CorruptionException($"blob file holds {count} records, its footer says {RecordCount}", Path, end);
        return count;
    }

    public void Dispose()
    {
        _file.Dispose();
        _cipher?.Dispose();
    }
}
