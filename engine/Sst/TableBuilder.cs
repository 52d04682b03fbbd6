using System.Buffers;
using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>Settings of one table being written.</summary>
internal sealed record TableBuilderOptions(
    InternalKeyComparator Comparator,
    int BlockSize = 4096,
    int RestartInterval = 16,
    CompressionType Compression = CompressionType.Snappy,
    int BloomBitsPerKey = 10,
    uint ColumnFamilyId = 0,
    long CreationTimeMs = 0,
    string ColumnFamilyName = "",
    int IndexRestartInterval = TableBuilderOptions.DefaultIndexRestartInterval,
    Crypto.TableSealing? Sealing = null,
    int LargeValueThreshold = 0,
    int ZstdLevel = 3)
{
    /// <summary>
    /// Readers decode the whole index once at open (<see cref="IndexFences"/>) and never
    /// binary-search it on disk, so restarts there buy nothing; prefix-compressing 16 entries at
    /// a time makes the index about a third smaller.
    /// </summary>
    public const int DefaultIndexRestartInterval = 16;
}

/// <summary>
/// Writes a sorted table (FORMAT.md, "Table file"): data blocks, then the filter, range
/// deletion, properties, metaindex and index blocks, then the footer. Entries must be added in
/// internal-key order. <see cref="Finish"/> fsyncs and closes the file; <see cref="Dispose"/>
/// without <see cref="Finish"/> abandons it (the caller deletes the file).
/// </summary>
internal sealed class TableBuilder : IDisposable
{
    private readonly IWritableFile _file;
    private readonly TableBuilderOptions _options;
    private readonly BlockBuilder _data;
    private readonly BlockBuilder _index;
    // Outside the managed heap, freed at Dispose: the key hashes of a table the size of a
    // memtable or a compaction output would otherwise grow a list through arrays on the large
    // object heap for every table written, and pooled arrays of those sizes stay resident.
    private NativeBuffer<ulong> _hashes = NativeBuffer<ulong>.Empty;
    private int _hashCount;
    private readonly List<RangeTombstone> _rangeDels = [];
    private readonly TableProperties _props = new();
    private byte[] _compressScratch = ArrayPool<byte>.Shared.Rent(8192);
    private byte[] _lastUserKey = new byte[64];
    private int _lastUserKeyLength = -1;
    private byte[]? _smallest;
    private byte[]? _largestPoint;
    private long _offset;
    private bool _closed;
    private readonly Crypto.TableCipher? _cipher;
    private byte[] _sealScratch = [];
    // Created with the first zstd block: most tables never need its context.
    private ZstdSharp.Compressor? _zstd;
    private bool _largeValueInBlock;
    // The whole file's checksum, accumulated as it is written: backups and self-healing identify a table by it.
    private readonly System.IO.Hashing.XxHash3 _fileHash = new();

    /// <summary>
    /// Starts a table in <paramref name="file"/>. <paramref name="fileNumber"/> is bound into the
    /// keys and associated data of a sealed table (<see cref="TableBuilderOptions.Sealing"/>).
    /// </summary>
    public TableBuilder(IWritableFile file, TableBuilderOptions options, long fileNumber = 0)
    {
        _file = file;
        _options = options;
        if (options.Sealing is { } sealing) _cipher = Crypto.TableCipher.ForNewTable(sealing.Key, sealing.DatabaseId, fileNumber);
        _data = new BlockBuilder(options.RestartInterval);
        // A sealed table's index keys and compressed blocks are plaintext until sealed: the
        // shared pool gets those arrays back cleared.
        _index = new BlockBuilder(options.IndexRestartInterval, pooled: true, clearOnReturn: options.Sealing is not null);
        _props.SmallestSequence = ulong.MaxValue;
    }

    public string Path => _file.Path;

    /// <summary>XXH3-64 of every byte of the file; set by <see cref="Finish"/>.</summary>
    public ulong Checksum { get; private set; }

    /// <summary>The registry key sealing this table; 0 when it is plaintext.</summary>
    public uint KeyId => _cipher?.KeyId ?? 0;

    public long NumEntries => _props.NumEntries;

    /// <summary>Blocks stored zstd-compressed so far: a table with any needs database format 8 (FORMAT.md §19).</summary>
    public int ZstdBlocks { get; private set; }

    /// <summary>Stored bytes of the data blocks written compressed (blocks a codec did not shrink are stored raw).</summary>
    public long CompressedDataBytes { get; private set; }

    /// <summary>Bytes written so far plus the pending data block: compaction splits outputs on this.</summary>
    public long EstimatedFileSize => _offset + _data.CurrentSizeEstimate;

    public bool IsEmpty => _props.NumEntries == 0 && _rangeDels.Count == 0;

    /// <summary>Smallest internal key of the table, counting range tombstone starts.</summary>
    public byte[]? Smallest { get; private set; }

    /// <summary>Largest internal key of the table; a range tombstone contributes its end sentinel.</summary>
    public byte[]? Largest { get; private set; }

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        var userKey = InternalKey.UserKey(internalKey);
        ulong trailer = InternalKey.Trailer(internalKey);
        ulong seq = trailer >> 8;
        var kind = (ValueKind)(byte)trailer;

        _smallest ??= internalKey.ToArray();
        if (_lastUserKeyLength < 0 || !userKey.SequenceEqual(_lastUserKey.AsSpan(0, _lastUserKeyLength)))
        {
            if (_hashCount == _hashes.Length) _hashes = _hashes.Grow(Math.Max(1024, _hashes.Length * 2), _hashCount);
            _hashes.Span[_hashCount++] = BloomFilter.Hash(userKey);
            if (_lastUserKey.Length < userKey.Length) _lastUserKey = new byte[Math.Max(userKey.Length, _lastUserKey.Length * 2)];
            userKey.CopyTo(_lastUserKey);
            _lastUserKeyLength = userKey.Length;
        }
        _data.Add(internalKey, value);
        if (_options.LargeValueThreshold > 0 && value.Length >= _options.LargeValueThreshold) _largeValueInBlock = true;
        _props.NumEntries++;
        if (kind == ValueKind.Deletion) _props.NumDeletions++;
        _props.RawKeySize += internalKey.Length;
        _props.RawValueSize += value.Length;
        if (seq < _props.SmallestSequence) _props.SmallestSequence = seq;
        if (seq > _props.LargestSequence) _props.LargestSequence = seq;
        if (_data.CurrentSizeEstimate >= _options.BlockSize) FlushDataBlock();
    }

    /// <summary>The user key of the last point entry added (compaction splits only between user keys).</summary>
    public ReadOnlySpan<byte> LastUserKey => _lastUserKeyLength < 0 ? default : _lastUserKey.AsSpan(0, _lastUserKeyLength);

    /// <summary>Adds a range tombstone fragment; tombstones are written at <see cref="Finish"/>.</summary>
    public void AddRangeTombstone(RangeTombstone tombstone)
    {
        _rangeDels.Add(tombstone);
        if (tombstone.Sequence < _props.SmallestSequence) _props.SmallestSequence = tombstone.Sequence;
        if (tombstone.Sequence > _props.LargestSequence) _props.LargestSequence = tombstone.Sequence;
    }

    private void FlushDataBlock()
    {
        if (_data.IsEmpty) return;
        var contents = _data.Finish();
        _props.UncompressedDataSize += contents.Length;
        // A large value fills its block, so the block's codec is the value's (FORMAT.md §19).
        var handle = WriteBlock(contents, _largeValueInBlock ? CompressionType.Zstd : _options.Compression, Crypto.BlockKind.Data, out bool compressed);
        if (compressed) CompressedDataBytes += handle.Size + BlockTrailer.Size;
        _largeValueInBlock = false;
        _props.DataSize += handle.Size + BlockTrailer.Size;
        _props.NumDataBlocks++;
        Span<byte> encoded = stackalloc byte[BlockHandle.MaxEncodedLength];
        int n = handle.EncodeTo(encoded);
        _index.Add(_data.LastKey, encoded[..n]);
        _largestPoint = _data.LastKey.ToArray();
        _data.Reset();
    }

    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents, CompressionType compression, Crypto.BlockKind kind) => WriteBlock(contents, compression, kind, out _);

    private BlockHandle WriteBlock(ReadOnlySpan<byte> contents, CompressionType compression, Crypto.BlockKind kind, out bool compressed)
    {
        if (compression == CompressionType.Zstd) _zstd ??= new ZstdSharp.Compressor(_options.ZstdLevel);
        var stored = BlockTrailer.MaybeCompress(contents, compression, ref _compressScratch, out byte type, _zstd);
        if (type == (byte)CompressionType.Zstd) ZstdBlocks++;
        compressed = type != (byte)CompressionType.None;
        if (_cipher is not null)
        {
            // Compress first: ciphertext does not compress. The tag stands after the ciphertext.
            int sealedLength = stored.Length + Crypto.TableCipher.Overhead;
            if (_sealScratch.Length < sealedLength)
            {
                if (_sealScratch.Length > 0) ArrayPool<byte>.Shared.Return(_sealScratch);
                _sealScratch = ArrayPool<byte>.Shared.Rent(sealedLength);
            }
            _cipher.Seal(stored, _offset, kind, type, _sealScratch);
            stored = _sealScratch.AsSpan(0, sealedLength);
            type |= BlockTrailer.EncryptedFlag;
        }
        Span<byte> trailer = stackalloc byte[BlockTrailer.Size];
        BlockTrailer.Write(trailer, stored, type);
        var handle = new BlockHandle(_offset, stored.Length);
        _file.Append(stored);
        _file.Append(trailer);
        _fileHash.Append(stored);
        _fileHash.Append(trailer);
        _offset += stored.Length + BlockTrailer.Size;
        return handle;
    }

    /// <summary>Writes the remaining blocks and the footer, fsyncs and closes the file.</summary>
    public TableProperties Finish()
    {
        FlushDataBlock();
        var cmp = _options.Comparator;

        var hashes = _hashes.Span[.._hashCount];
        var filter = ArrayPool<byte>.Shared.Rent(BloomFilter.SizeFor(hashes.Length, _options.BloomBitsPerKey));
        BlockHandle filterHandle;
        try
        {
            int filterLength = BloomFilter.Build(hashes, _options.BloomBitsPerKey, filter);
            filterHandle = WriteBlock(filter.AsSpan(0, filterLength), CompressionType.None, Crypto.BlockKind.Filter);
            _props.FilterSize = filterLength;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(filter);
        }

        var meta = new SortedDictionary<string, BlockHandle>(StringComparer.Ordinal) { ["lattice.filter"] = filterHandle };
        byte[]? rangeLargest = null;
        byte[]? rangeSmallest = null;
        if (_rangeDels.Count > 0)
        {
            var fragments = FragmentedRangeTombstones.Build(_rangeDels, cmp);
            var block = new BlockBuilder(1);
            var key = new ByteWriter(64);
            foreach (var t in fragments.AsTombstones())
            {
                key.Clear();
                var span = key.GetSpan(t.Begin.Length + InternalKey.TrailerSize);
                key.Advance(InternalKey.Encode(span, t.Begin, t.Sequence, ValueKind.RangeDeletion));
                block.Add(key.WrittenSpan, t.End);
                _props.NumRangeDeletions++;
                var start = key.ToArray();
                if (rangeSmallest is null || cmp.Compare(start, rangeSmallest) < 0) rangeSmallest = start;
                var end = InternalKey.RangeEndSentinel(t.End);
                if (rangeLargest is null || cmp.Compare(end, rangeLargest) > 0) rangeLargest = end;
            }
            if (!block.IsEmpty) meta["lattice.range_del"] = WriteBlock(block.Finish(), CompressionType.None, Crypto.BlockKind.RangeDeletions);
        }

        Smallest = Min(cmp, _smallest, rangeSmallest);
        Largest = Max(cmp, _largestPoint, rangeLargest);
        _props.SmallestKey = _smallest ?? [];
        _props.LargestKey = _largestPoint ?? [];
        if (_props.SmallestSequence == ulong.MaxValue) _props.SmallestSequence = 0;
        _props.CreationTimeMs = _options.CreationTimeMs;
        _props.ColumnFamilyId = _options.ColumnFamilyId;
        _props.ColumnFamilyName = _options.ColumnFamilyName;
        _props.Compression = _options.Compression.ToString();
        _props.Comparator = cmp.User.Name;
        _props.BloomBitsPerKey = _options.BloomBitsPerKey;

        var indexContents = _index.Finish();
        _props.IndexSize = indexContents.Length;
        meta["lattice.properties"] = WriteBlock(_props.Encode(), CompressionType.None, Crypto.BlockKind.Properties);

        var metaBlock = new BlockBuilder(1);
        Span<byte> encoded = stackalloc byte[BlockHandle.MaxEncodedLength];
        foreach (var (name, handle) in meta)
        {
            int n = handle.EncodeTo(encoded);
            metaBlock.Add(Utf8.GetBytes(name), encoded[..n]);
        }
        var metaHandle = WriteBlock(metaBlock.Finish(), CompressionType.None, Crypto.BlockKind.MetaIndex);
        var indexHandle = WriteBlock(indexContents, _options.Compression, Crypto.BlockKind.Index);

        Span<byte> footer = stackalloc byte[Footer.Size];
        var footerValue = _cipher is null
            ? new Footer(metaHandle, indexHandle, Footer.CurrentFormatVersion, 0)
            : new Footer(metaHandle, indexHandle, Footer.EncryptedFormatVersion, _cipher.KeyId, _cipher.Salt);
        footerValue.EncodeTo(footer);
        _file.Append(footer);
        _fileHash.Append(footer);
        Checksum = _fileHash.GetCurrentHashAsUInt64();
        _offset += Footer.Size;
        _props.FileSize = _offset;
        _file.Sync();
        _file.Dispose();
        _closed = true;
        return _props;
    }

    private static byte[]? Min(InternalKeyComparator cmp, byte[]? a, byte[]? b)
        => a is null ? b : b is null ? a : cmp.Compare(a, b) <= 0 ? a : b;

    private static byte[]? Max(InternalKeyComparator cmp, byte[]? a, byte[]? b)
        => a is null ? b : b is null ? a : cmp.Compare(a, b) >= 0 ? a : b;

    public void Dispose()
    {
        if (!_closed)
        {
            _closed = true;
            try { _file.Dispose(); } catch (LatticeIOException) { } // abandoning: the caller deletes the file
        }
        bool plaintext = _options.Sealing is not null;
        if (_compressScratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_compressScratch, plaintext);
            _compressScratch = [];
        }
        if (_sealScratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_sealScratch); // ciphertext only
            _sealScratch = [];
        }
        _index.ReturnBuffer();
        _hashes.Dispose();
        _hashes = NativeBuffer<ulong>.Empty;
        _hashCount = 0;
        _cipher?.Dispose();
        _zstd?.Dispose();
        _zstd = null;
    }
}
