using System.Buffers;
using LatticeKV.Crypto;
using LatticeKV.Io;
using LatticeKV.Keys;
using ZstdSharp;

namespace LatticeKV.Blob;

/// <summary>
/// Writes one blob file (FORMAT.md §21): records appended in the order given, then the footer
/// and an fsync at <see cref="Finish"/>. Not thread-safe: a flush or compaction owns its writer.
/// A value is stored zstd-compressed when that saves at least an eighth of it (the rule table
/// blocks follow), else as it is. With a cipher (an encrypted family's file, §21.7) each record's
/// stored bytes are then sealed: no value reaches the file in plaintext.
/// </summary>
internal sealed class BlobFileWriter : IDisposable
{
    private readonly IWritableFile _file;
    private readonly Compressor? _compressor;
    private readonly System.IO.Hashing.XxHash3 _hash = new();
    private readonly TableCipher? _cipher;
    private byte[] _scratch = [];
    private byte[] _sealed = [];
    private long _offset;
    private long _count;
    private long _recordBytes;

    /// <summary>
    /// A writer of file <paramref name="number"/>; with <paramref name="cipher"/> (made for this file
    /// by <see cref="TableCipher.ForNewBlobFile"/>, owned by the writer from here on) a sealed one.
    /// </summary>
    public BlobFileWriter(IWritableFile file, long number, uint columnFamily, int zstdLevel, TableCipher? cipher = null)
    {
        _file = file;
        _cipher = cipher;
        Number = number;
        if (zstdLevel > 0) _compressor = new Compressor(zstdLevel);
        Span<byte> header = stackalloc byte[BlobFileFormat.SealedHeaderSize];
        if (cipher is null)
        {
            BlobFileFormat.WriteHeader(header, columnFamily);
            Append(header[..BlobFileFormat.HeaderSize]);
        }
        else
        {
            BlobFileFormat.WriteSealedHeader(header, columnFamily, cipher.KeyId, cipher.Generation, cipher.Salt);
            Append(header);
        }
    }

    /// <summary>A writer for a family sealed as <paramref name="sealing"/> says (plain when null).</summary>
    public static BlobFileWriter Create(IWritableFile file, long number, uint columnFamily, int zstdLevel, TableSealing? sealing)
    {
        TableCipher? cipher = null;
        try
        {
            if (sealing is not null) cipher = TableCipher.ForNewBlobFile(sealing.Key, sealing.DatabaseId, number);
        }
        catch
        {
            file.Dispose();
            throw;
        }
        return new BlobFileWriter(file, number, columnFamily, zstdLevel, cipher);
    }

    /// <summary>The data key sealing the records (0: a plain file).</summary>
    public uint KeyId => _cipher?.KeyId ?? 0;

    public long Number { get; }

    /// <summary>Bytes written so far.</summary>
    public long Length => _offset;

    /// <summary>Appends <paramref name="value"/> (the stored value of an entry of <paramref name="kind"/>) and returns where it lives.</summary>
    public BlobReference Add(ValueKind kind, ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> stored = value;
        byte flags = 0;
        if (_compressor is not null && value.Length >= 64)
        {
            int max = Compressor.GetCompressBound(value.Length);
            if (_scratch.Length < max)
            {
                if (_scratch.Length > 0) ArrayPool<byte>.Shared.Return(_scratch);
                _scratch = ArrayPool<byte>.Shared.Rent(max);
            }
            if (_compressor.TryWrap(value, _scratch, out int written) && written <= value.Length - value.Length / 8)
            {
                stored = _scratch.AsSpan(0, written);
                flags = BlobFileFormat.FlagZstd;
            }
        }
        long offset = _offset;
        if (_cipher is not null)
        {
            flags |= BlobFileFormat.FlagSealed;
            int length = stored.Length + TableCipher.Overhead;
            if (_sealed.Length < length)
            {
                if (_sealed.Length > 0) ArrayPool<byte>.Shared.Return(_sealed);
                _sealed = ArrayPool<byte>.Shared.Rent(length);
            }
            // The nonce is the record's offset: unique within the file, whose key is its own.
            _cipher.Seal(stored, offset, BlockKind.BlobRecord, flags, _sealed);
            stored = _sealed.AsSpan(0, length);
        }
        Span<byte> header = stackalloc byte[BlobFileFormat.RecordHeaderSize];
        uint crc = BlobFileFormat.WriteRecordHeader(header, value.Length, stored, flags);
        Append(header);
        Append(stored);
        long size = BlobFileFormat.RecordHeaderSize + stored.Length;
        _count++;
        _recordBytes += size;
        return new BlobReference(kind, Number, offset, size, value.Length, crc);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        _file.Append(data);
        _hash.Append(data);
        _offset += data.Length;
    }

    /// <summary>Writes the footer and makes the file durable; returns what the MANIFEST records of it.</summary>
    public BlobFileMetaData Finish()
    {
        Span<byte> footer = stackalloc byte[BlobFileFormat.FooterSize];
        BlobFileFormat.WriteFooter(footer, _count, _recordBytes);
        Append(footer);
        _file.Flush();
        _file.Sync();
        return new BlobFileMetaData
        {
            Number = Number,
            FileSize = _offset,
            TotalCount = _count,
            TotalBytes = _recordBytes,
            Checksum = _hash.GetCurrentHashAsUInt64(),
            KeyId = KeyId,
        };
    }

    public void Dispose()
    {
        _file.Dispose();
        _compressor?.Dispose();
        _cipher?.Dispose();
        if (_scratch.Length > 0) ArrayPool<byte>.Shared.Return(_scratch);
        if (_sealed.Length > 0) ArrayPool<byte>.Shared.Return(_sealed);
        _scratch = _sealed = [];
    }
}
