using System.Buffers.Binary;
using LatticeKV.Io;
using ZstdSharp;

namespace LatticeKV.Blob;

/// <summary>
/// Reads records of one blob file by <see cref="BlobReference"/>. Thread-safe (positional reads
/// only). Everything read is checked: a record that does not match its reference, its checksum
/// or its length is a <see cref="CorruptionException"/> naming the file and the record's offset.
/// </summary>
internal sealed class BlobFileReader : IDisposable
{
    [ThreadStatic] private static Decompressor? t_decompressor;

    private readonly IRandomAccessFile _file;
    private readonly long _length;

    private BlobFileReader(IRandomAccessFile file, long number, uint columnFamily, long count, long recordBytes)
    {
        _file = file;
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

    /// <summary>Opens <paramref name="file"/>, checking its header and footer (the reader owns the file, also on failure).</summary>
    public static BlobFileReader Open(IRandomAccessFile file, long number)
    {
        try
        {
            long length = file.Length;
            if (length < BlobFileFormat.HeaderSize + BlobFileFormat.FooterSize)
                throw new CorruptionException($"blob file of {length} bytes is too short", file.Path, 0);
            Span<byte> header = stackalloc byte[BlobFileFormat.HeaderSize];
            if (file.ReadExactly(0, header) != header.Length) throw new CorruptionException("blob file header cut short", file.Path, 0);
            uint cf = BlobFileFormat.ReadHeader(header, file.Path);
            Span<byte> footer = stackalloc byte[BlobFileFormat.FooterSize];
            long footerAt = length - BlobFileFormat.FooterSize;
            if (file.ReadExactly(footerAt, footer) != footer.Length) throw new CorruptionException("blob file footer cut short", file.Path, footerAt);
            var (count, bytes) = BlobFileFormat.ReadFooter(footer, file.Path, footerAt);
            if (bytes != footerAt - BlobFileFormat.HeaderSize)
                throw new CorruptionException($"blob file footer records {bytes} record bytes, the file holds {footerAt - BlobFileFormat.HeaderSize}", file.Path, footerAt);
            return new BlobFileReader(file, number, cf, count, bytes);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The value <paramref name="reference"/> points at, in a new array.</summary>
    public byte[] Read(in BlobReference reference)
    {
        if (reference.FileNumber != Number) throw new CorruptionException($"blob reference to file {reference.FileNumber} read from file {Number}", Path, reference.Offset);
        long offset = reference.Offset;
        if (offset < BlobFileFormat.HeaderSize || reference.RecordSize > _length - BlobFileFormat.FooterSize - offset)
            throw new CorruptionException($"blob record of {reference.RecordSize} bytes at {offset} lies outside the file's records", Path, offset);
        var record = GC.AllocateUninitializedArray<byte>((int)reference.RecordSize);
        if (_file.ReadExactly(offset, record) != record.Length) throw new CorruptionException("blob record cut short", Path, offset);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != reference.ValueSize)
            throw new CorruptionException($"blob record claims {BinaryPrimitives.ReadUInt32LittleEndian(record)} value bytes, its reference says {reference.ValueSize}", Path, offset);
        var value = Decode(record, Path, offset, out uint crc);
        if (crc != reference.Checksum) throw new CorruptionException("blob record is not the one its reference names (checksum differs)", Path, offset);
        if (value.Length != reference.ValueSize) throw new CorruptionException($"blob record holds {value.Length} bytes, its reference says {reference.ValueSize}", Path, offset);
        return value;
    }

    /// <summary>
    /// Checks and decodes one whole record (<paramref name="record"/>: header and stored bytes,
    /// nothing more) and returns its value; <paramref name="crc"/> is the record's checksum.
    /// </summary>
    public static byte[] Decode(ReadOnlySpan<byte> record, string path, long offset, out uint crc)
    {
        if (record.Length < BlobFileFormat.RecordHeaderSize) throw new CorruptionException($"blob record of {record.Length} bytes is too short", path, offset);
        uint valueSize = BinaryPrimitives.ReadUInt32LittleEndian(record);
        uint storedSize = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        byte flags = record[8];
        crc = BinaryPrimitives.ReadUInt32LittleEndian(record[12..]);
        if (storedSize != record.Length - BlobFileFormat.RecordHeaderSize)
            throw new CorruptionException($"blob record claims {storedSize} stored bytes, has {record.Length - BlobFileFormat.RecordHeaderSize}", path, offset);
        var stored = record[BlobFileFormat.RecordHeaderSize..];
        if (BlobFileFormat.RecordCrc(record, stored) != crc) throw new CorruptionException("blob record checksum mismatch", path, offset);
        if ((flags & ~BlobFileFormat.FlagZstd) != 0 || record[9] != 0 || record[10] != 0 || record[11] != 0)
            throw new CorruptionException($"blob record has unknown flags {flags}", path, offset);
        if (valueSize > BlobFileFormat.MaxValueSize) throw new CorruptionException($"blob record value size {valueSize} out of range", path, offset);
        if ((flags & BlobFileFormat.FlagZstd) == 0)
        {
            if (valueSize != storedSize) throw new CorruptionException($"uncompressed blob record holds {storedSize} bytes, claims {valueSize}", path, offset);
            return stored.ToArray();
        }
        // The frame must record the size the record claims before anything that size is allocated.
        ulong framed;
        try { framed = Decompressor.GetDecompressedSize(stored); }
        catch (ZstdException ex)
        {
            throw new CorruptionException("blob record's zstd frame header is damaged", path, offset, ex);
        }
        if (framed != valueSize) throw new CorruptionException($"blob record's zstd frame holds {framed} bytes, the record claims {valueSize}", path, offset);
        var value = GC.AllocateUninitializedArray<byte>((int)valueSize);
        try
        {
            if (!(t_decompressor ??= new Decompressor()).TryUnwrap(stored, value, out int written) || written != value.Length)
                throw new CorruptionException("blob record's zstd data is damaged", path, offset);
        }
        catch (ZstdException ex)
        {
            throw new CorruptionException("blob record's zstd data is damaged", path, offset, ex);
        }
        return value;
    }

    /// <summary>Reads every record in order, checking each; returns the count (for verification and repair).</summary>
    public long VerifyAll(Action<long, byte[]>? onRecord = null)
    {
        long offset = BlobFileFormat.HeaderSize, end = _length - BlobFileFormat.FooterSize, count = 0;
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
            var value = Decode(record, Path, offset, out _);
            onRecord?.Invoke(offset, value);
            offset += record.Length;
            count++;
        }
        if (count != RecordCount) throw new CorruptionException($"blob file holds {count} records, its footer says {RecordCount}", Path, end);
        return count;
    }

    public void Dispose() => _file.Dispose();
}
