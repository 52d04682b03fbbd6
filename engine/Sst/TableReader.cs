using System.Buffers;
using LatticeKV.Cache;
using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>Settings shared by every table reader of a database.</summary>
internal sealed class TableReaderOptions(InternalKeyComparator comparator, BlockCache<Block>? blockCache, bool paranoidChecks, bool anyComparator = false,
    BlockArrayPool? blockArrays = null, BlockCacheTiers? tiers = null, Crypto.KeyRegistry? keys = null)
{
    /// <summary>The keys of sealed tables; null when the database is not encrypted (a sealed table then fails to open).</summary>
    public Crypto.KeyRegistry? Keys { get; set; } = keys;

    /// <summary>
    /// The database's blob files: entries of kind <see cref="ValueKind.BlobIndex"/> are read
    /// through them, so a lookup or iterator sees the value itself (FORMAT.md §21). Null: such an
    /// entry is a <see cref="CorruptionException"/> when read.
    /// </summary>
    public Blob.BlobFileCache? Blobs { get; set; }

    /// <summary>Blob values kept in the block cache (<see cref="DbOptions.CacheBlobValues"/>); null: every blob value is read from its file.</summary>
    public BlobValueCache? BlobValues { get; set; }

    /// <summary>Replaces damaged or missing tables with intact copies; null (no self-healing) unless the database has a backup to heal from.</summary>
    public ITableHealer? Healer { get; set; }

    public InternalKeyComparator Comparator { get; } = comparator;

    public SpanComparer KeyComparer { get; } = SpanComparer.For(comparator);

    public BlockCache<Block>? BlockCache { get; } = tiers?.Decompressed ?? blockCache;

    /// <summary>Where data blocks get their arrays, and return them once unpinned (null: the collector frees them).</summary>
    public BlockArrayPool? BlockArrays { get; } = tiers?.Arrays ?? blockArrays;

    /// <summary>The block cache's compressed tier beside <see cref="BlockCache"/>, when the database has one.</summary>
    public BlockCacheTiers? Tiers { get; } = tiers;

    /// <summary>Verify whole-file structure on open (every block checksum is always verified on read).</summary>
    public bool ParanoidChecks { get; } = paranoidChecks;

    /// <summary>Accept a table written with another comparator (tools that only read tables in file order).</summary>
    public bool AnyComparator { get; } = anyComparator;

    /// <summary>Counts blocks loaded ahead of demand and their first use; null when nothing is loaded ahead.</summary>
    public AnticipationCounters? Anticipation { get; set; }

    /// <summary>Loads blocks in the background for sequential readahead; null turns readahead off.</summary>
    public BlockWarmer? Warmer { get; set; }

    /// <summary>The most bytes a table iterator reads ahead of itself (the window's largest size).</summary>
    public long ReadaheadMaxBytes { get; set; }
    /// <summary>Counts point lookups the bloom filter answered alone (null: not counted).</summary>
    public Metrics.StripedCounter? FilterUseful { get; init; }
}

/// <summary>
/// Reads one table. Opening reads the footer, metaindex, index, filter, range-deletion and
/// properties blocks; the index (decoded into <see cref="IndexFences"/>) and the filter stay in
/// memory for the reader's lifetime (charged to the block cache). Data blocks are read through
/// the block cache. Thread-safe. Every structural problem throws <see cref="CorruptionException"/>
/// naming the file.
/// <para>
/// The fences and the filter live outside the managed heap and are freed by <see cref="Dispose"/>:
/// they are as large as a table's index and filter, and on the large-object heap those of every
/// table a compaction deleted stayed resident until a full collection. So <see cref="Dispose"/>
/// comes only after the last read: the table cache's reference count (<see cref="TableLease"/>)
/// guarantees it for shared readers, and a reader opened on its own is disposed by its one user.
/// Only <see cref="PrefetchFilter"/> may race with it.
/// </para>
/// </summary>
internal sealed class TableReader : IDisposable
{
    // Replaced (under _healLock) when the table is healed: the copy holds the same bytes, so the
    // index, filter and cached blocks stay valid. Read without the lock; a read that meets
    // damage in a file already replaced finds the replacement under the lock.
    private IRandomAccessFile _file;
    private readonly Lock _healLock = new();
    private List<IRandomAccessFile>? _replaced; // guarded by _healLock: closed with the reader, as reads may still use them
    private readonly long _fileLength; // tables are immutable: no fstat per block read
    private readonly TableReaderOptions _options;
    private readonly IndexFences _fences;
    private readonly NativeBuffer<byte> _filter;
    private readonly BlockCache<Block>.Slots? _cacheSlots; // by data block number
    private readonly BlockCache<CompressedBlock>.Slots? _compressedSlots; // by data block number
    private readonly long _pinnedCharge;
    private readonly Crypto.TableCipher? _cipher;
    private int _disposed;

    [ThreadStatic] private static BlockIterator? t_dataIter;

    private TableReader(IRandomAccessFile file, long fileNumber, TableReaderOptions options, Footer footer, IndexFences fences,
        NativeBuffer<byte> filter, FragmentedRangeTombstones rangeDels, TableProperties props, IReadOnlyDictionary<string, BlockHandle> metaBlocks, Crypto.TableCipher? cipher)
    {
        _cipher = cipher;
        MetaBlocks = metaBlocks;
        _file = file;
        _fileLength = file.Length;
        _options = options;
        FileNumber = fileNumber;
        Footer = footer;
        _fences = fences;
        _filter = filter;
        RangeTombstones = rangeDels;
        Properties = props;
        _cacheSlots = options.BlockCache is null ? null : new BlockCache<Block>.Slots(_fences.Count, fileNumber);
        _compressedSlots = options.Tiers is null ? null : new BlockCache<CompressedBlock>.Slots(_fences.Count, fileNumber);
        _pinnedCharge = filter.Length + _fences.MemoryUsage + _fences.Count * 8L;
        options.BlockCache?.AddPinned(_pinnedCharge);
    }

    public long FileNumber { get; }

    public InternalKeyComparator Comparator => _options.Comparator;

    public string Path => _file.Path;

    public Footer Footer { get; }

    /// <summary>True when every block of this table is sealed.</summary>
    public bool IsEncrypted => _cipher is not null;

    public TableProperties Properties { get; }

    /// <summary>Handles of the meta blocks by metaindex name (filter, properties, range_del), for inspection.</summary>
    public IReadOnlyDictionary<string, BlockHandle> MetaBlocks { get; }

    public FragmentedRangeTombstones RangeTombstones { get; }

    public long FileSize => _fileLength;

    /// <summary>The decoded index: data block handles and last keys, by block number.</summary>
    public IndexFences Fences => _fences;

    public ReadOnlySpan<byte> Filter => _filter.Span;

    public static TableReader Open(IRandomAccessFile file, long fileNumber, TableReaderOptions options)
    {
        Crypto.TableCipher? cipher = null;
        try
        {
            return OpenCore(file, fileNumber, options, ref cipher);
        }
        catch (CorruptionException ex) when (ex.FilePath is null)
        {
            cipher?.Dispose();
            throw ex.At(file.Path);
        }
        catch
        {
            cipher?.Dispose();
            throw;
        }
    }

    /// <summary>The key id and salt of a sealed table's footer, without opening it (0 for a plaintext table).</summary>
    public static uint ReadKeyId(IRandomAccessFile file)
    {
        long size = file.Length;
        if (size < Footer.Size) throw new CorruptionException($"file of {size} bytes is too short to be a table", file.Path, 0);
        Span<byte> footerBytes = stackalloc byte[Footer.Size];
        if (file.ReadExactly(size - Footer.Size, footerBytes) != Footer.Size) throw new CorruptionException("footer truncated", file.Path, size - Footer.Size);
        return Footer.Decode(footerBytes, file.Path, size - Footer.Size).EncryptionKeyId;
    }

    private static TableReader OpenCore(IRandomAccessFile file, long fileNumber, TableReaderOptions options, ref Crypto.TableCipher? cipher)
    {
        long size = file.Length;
        if (size < Footer.Size) throw new CorruptionException($"file of {size} bytes is too short to be a table", file.Path, 0);
        Span<byte> footerBytes = stackalloc byte[Footer.Size];
        if (file.ReadExactly(size - Footer.Size, footerBytes) != Footer.Size) throw new CorruptionException("footer truncated", file.Path, size - Footer.Size);
        var footer = Footer.Decode(footerBytes, file.Path, size - Footer.Size);
        if (footer.EncryptionKeyId != 0)
        {
            var keys = options.Keys ?? throw new EncryptionKeyException($"table '{file.Path}' is encrypted (key {footer.EncryptionKeyId}); open the database with DbOptions.Encryption");
            // A key the registry never issued is a damaged footer (or a table of another database), not a missing secret.
            if (keys.Find(footer.EncryptionKeyId) is null)
                throw new CorruptionException($"table names encryption key {footer.EncryptionKeyId}, which the key registry does not hold", file.Path, size - Footer.Size + Footer.KeyIdOffset);
            var key = keys.Require(footer.EncryptionKeyId, file.Path);
            cipher = Crypto.TableCipher.ForExistingTable(key, footer.Salt!, keys.DatabaseId, fileNumber);
        }

        var meta = ReadBlock(file, size, footer.MetaIndex, cipher, Crypto.BlockKind.MetaIndex);
        BlockHandle? filterHandle = null, propsHandle = null, rangeHandle = null;
        var metaBlocks = new Dictionary<string, BlockHandle>(StringComparer.Ordinal);
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(meta);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            string name = Utf8.GetString(it.Key);
            var handle = BlockHandle.Decode(it.Value);
            metaBlocks[name] = handle;
            switch (name)
            {
                case "lattice.filter": filterHandle = handle; break;
                case "lattice.properties": propsHandle = handle; break;
                case "lattice.range_del": rangeHandle = handle; break;
            }
        }
        if (filterHandle is null || propsHandle is null) throw new CorruptionException("metaindex lacks the filter or properties block", file.Path, footer.MetaIndex.Offset);

        var props = TableProperties.Decode(ReadBlock(file, size, propsHandle.Value, cipher, Crypto.BlockKind.Properties));
        if (!options.AnyComparator && props.Comparator.Length > 0 && props.Comparator != options.Comparator.User.Name)
            throw new CorruptionException($"table was written with comparator '{props.Comparator}', database uses '{options.Comparator.User.Name}'", file.Path, propsHandle.Value.Offset);

        var rangeDels = FragmentedRangeTombstones.Empty;
        if (rangeHandle is not null)
        {
            var block = ReadBlock(file, size, rangeHandle.Value, cipher, Crypto.BlockKind.RangeDeletions);
            var list = new List<RangeTombstone>();
            var rit = new BlockIterator(options.KeyComparer);
            rit.Reset(block);
            for (rit.SeekToFirst(); rit.Valid; rit.Next())
            {
                if (!InternalKey.IsWellFormed(rit.Key) || InternalKey.Kind(rit.Key) != ValueKind.RangeDeletion)
                    throw new CorruptionException("malformed range tombstone", file.Path, rangeHandle.Value.Offset);
                list.Add(new RangeTombstone(InternalKey.UserKey(rit.Key).ToArray(), rit.Value.ToArray(), InternalKey.Sequence(rit.Key)));
            }
            rangeDels = FragmentedRangeTombstones.Build(list, options.Comparator);
        }
        // Native memory from here on: a failure frees it at once rather than leaving it to the finalizers.
        var fences = ReadFences(file, size, footer.Index, cipher, options);
        NativeBuffer<byte> filter;
        try { filter = ReadFilter(file, size, filterHandle.Value, cipher); }
        catch
        {
            fences.Dispose();
            throw;
        }
        return new TableReader(file, fileNumber, options, footer, fences, filter, rangeDels, props, metaBlocks, cipher);
    }

    /// <summary>The index block decoded into fences; the block itself is read into a rented array and let go.</summary>
    private static IndexFences ReadFences(IRandomAccessFile file, long fileLength, BlockHandle handle, Crypto.TableCipher? cipher, TableReaderOptions options)
    {
        var data = BlockTrailer.ReadContentsRented(file, fileLength, handle, out int length, cipher, Crypto.BlockKind.Index);
        try
        {
            Block index;
            try { index = new Block(data, length); }
            catch (CorruptionException ex) { throw ex.At(file.Path, handle.Offset); }
            return IndexFences.Build(index, options.KeyComparer, ReferenceEquals(options.Comparator.User, KeyComparator.Bytewise));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    /// <summary>The filter block, validated, in a native buffer of its exact length.</summary>
    private static NativeBuffer<byte> ReadFilter(IRandomAccessFile file, long fileLength, BlockHandle handle, Crypto.TableCipher? cipher)
    {
        var data = BlockTrailer.ReadContentsRented(file, fileLength, handle, out int length, cipher, Crypto.BlockKind.Filter);
        try
        {
            var contents = data.AsSpan(0, length);
            try { BloomFilter.Validate(contents); }
            catch (CorruptionException ex) { throw ex.At(file.Path, handle.Offset); }
            var filter = new NativeBuffer<byte>(length);
            contents.CopyTo(filter.Span);
            return filter;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data);
        }
    }

    private static Block ReadBlock(IRandomAccessFile file, long fileLength, BlockHandle handle, Crypto.TableCipher? cipher, Crypto.BlockKind kind, BlockArrayPool? pool = null)
    {
        var data = BlockTrailer.ReadContents(file, fileLength, handle, true, out int length, pool, cipher, kind);
        try { return new Block(data, length, pool); }
        catch (CorruptionException ex)
        {
            pool?.Return(data);
            throw ex.At(file.Path, handle.Offset);
        }
    }

    /// <summary>Starts loading the filter line a lookup of <paramref name="bloomHash"/> will probe.</summary>
    /// <remarks>Safe without a reference on the table (see the class comment): a hint that reads nothing.</remarks>
    public void PrefetchFilter(ulong bloomHash) => _filter.Prefetch(BloomFilter.ProbedLine(_filter.Length, bloomHash));

    /// <summary>False when the bloom filter proves <paramref name="userKey"/> is absent.</summary>
    public bool MayContain(ReadOnlySpan<byte> userKey) => BloomFilter.MayContain(_filter.Span, BloomFilter.Hash(userKey));

    /// <summary>
    /// The data block at <paramref name="handle"/>, through the block cache (slower: finds the
    /// block's number first), pinned for the caller: see <see cref="GetDataBlock(int, bool)"/>.
    /// </summary>
    public Block GetDataBlock(BlockHandle handle, bool fillCache)
    {
        int number = _fences.IndexOf(handle.Offset);
        return number >= 0 ? GetDataBlock(number, fillCache) : ReadUncachedBlock(handle, Crypto.BlockKind.Data);
    }

    /// <summary>Starts loading the cache slot a coming <see cref="GetDataBlock(int, bool)"/> of block <paramref name="number"/> reads first.</summary>
    public void PrefetchCacheSlot(int number)
    {
        if (_cacheSlots is { } slots && (uint)number < (uint)slots.Count) BlockCache<Block>.PrefetchSlot(slots, number);
    }

    /// <summary>Starts loading block <paramref name="number"/> itself when the cache holds it (its slot should already be loading).</summary>
    public void PrefetchCachedBlock(int number)
    {
        if (_cacheSlots is { } slots && (uint)number < (uint)slots.Count && BlockCache<Block>.Peek(slots, number) is { } block)
            Coding.CpuCache.Prefetch(block, Block.FieldBytes);
    }

    /// <summary>
    /// Data block number <paramref name="number"/>, through the block cache, pinned for the
    /// caller: <see cref="PinCountedEntry.Unpin"/> it once done with its bytes (a caller that never does only
    /// keeps its array from being reused).
    /// </summary>
    public Block GetDataBlock(int number, bool fillCache)
    {
        if (LookupDecompressed(number) is { } block) return block;
        var handle = _fences.Handle(number);
        return LookupCompressed(number) is { } compressed ? DecodeCompressed(compressed, number, handle, fillCache && Promotes(compressed)) : ReadDataBlock(number, handle, fillCache);
    }

    /// <summary>Data block <paramref name="number"/> from the cache's decompressed tier, pinned for the caller; null when not there.</summary>
    private Block? LookupDecompressed(int number)
    {
        var slots = _cacheSlots;
        var block = slots is null ? null : _options.BlockCache!.Lookup(slots, number);
        if (block is not null && block.TryPin())
        {
            _options.Anticipation?.RecordHit(block);
            return block;
        }
        return null;
    }

    /// <summary>Data block <paramref name="number"/> from the cache's compressed tier, pinned for the caller; null when not there.</summary>
    private CompressedBlock? LookupCompressed(int number)
    {
        var compressedSlots = _compressedSlots;
        return compressedSlots is null ? null : PinIfStillCached(compressedSlots, number, _options.Tiers!.Compressed.Lookup(compressedSlots, number));
    }

    /// <summary>
    /// <paramref name="found"/> (what slot <paramref name="number"/> of <paramref name="slots"/>
    /// held a moment ago), pinned for the caller, when it still holds this block; null otherwise.
    /// Entries are reused once released (<see cref="CompressedBlockObjects"/>): the one found may
    /// have been evicted, released and given another block's bytes before the pin. Pinned, it can
    /// change no more; still in the slot, its bytes are this block's.
    /// </summary>
    internal static CompressedBlock? PinIfStillCached(BlockCache<CompressedBlock>.Slots slots, int number, CompressedBlock? found)
    {
        if (found is null || !found.TryPin()) return null;
        if (ReferenceEquals(BlockCache<CompressedBlock>.Peek(slots, number), found)) return found;
        found.Unpin();
        return null;
    }

    /// <summary>
    /// Decodes a block found in the compressed tier (and unpins it), promoting it to the
    /// decompressed tier when <paramref name="promote"/> (read often enough while compressed).
    /// <paramref name="fresh"/>: the block was just read from the file, not found in the tier.
    /// </summary>
    private Block DecodeCompressed(CompressedBlock compressed, int number, BlockHandle handle, bool promote, bool fresh = false)
    {
        Block block;
        try
        {
            block = promote
                ? NewBlock(BlockTrailer.Decode(compressed.Stored, compressed.Type, _file.Path, handle.Offset, out int length, _options.BlockArrays), length, handle)
                : DecodeUncached(compressed.Stored, compressed.Type, handle);
            // While pinned: once let go, the entry may be reused for another block at once.
            if (!fresh)
            {
                _options.Tiers!.RecordCompressedHit();
                _options.Anticipation?.RecordHit(compressed);
            }
            // The compressed copy earns the next promotion afresh: with reads spread evenly over
            // more blocks than the decompressed tier holds, a block promoted on every compressed
            // hit only evicts another as likely to be read next, at the price of an insertion and
            // an eviction each time.
            if (promote) compressed.CacheFrequency = 0;
        }
        finally
        {
            compressed.Unpin();
        }
        if (promote) _options.BlockCache!.Insert(_cacheSlots!, number, block, block.Charge);
        return block;
    }

    /// <summary>Read often while compressed: worth keeping decompressed too.</summary>
    private bool Promotes(CompressedBlock compressed) => _cacheSlots is not null && compressed.CacheFrequency >= 3;

    /// <summary>
    /// Loads data block <paramref name="number"/> into the cache unless either tier holds it,
    /// marking it as loaded for <paramref name="origin"/>. Returns the bytes read from the file
    /// (0 when nothing was read). For background loading: damage the block's checksum (or its
    /// seal) finds throws as for a read; a block kept compressed is decoded only by the read that
    /// asks for an entry of it, which reports damage inside the compressed bytes.
    /// </summary>
    public long WarmBlock(int number, WarmOrigin origin)
    {
        if (_cacheSlots is not { } slots || (uint)number >= (uint)slots.Count || Volatile.Read(ref _disposed) != 0) return 0;
        if (BlockCache<Block>.Peek(slots, number) is not null) return 0;
        if (_compressedSlots is { } compressed && BlockCache<CompressedBlock>.Peek(compressed, number) is not null) return 0;
        var handle = _fences.Handle(number);
        // Asked for compressed, a block the compressed tier keeps comes back as it is kept: nobody
        // reads it now, so decoding it (the default for a block read for a reader) would be wasted.
        ReadDataBlock(number, handle, fillCache: true, origin, wantCompressed: true, out var kept)?.Unpin();
        kept?.Unpin();
        _options.Anticipation?.RecordIssued(origin, handle.Size);
        return handle.Size;
    }

    /// <summary>Reads data block <paramref name="number"/> from the file (healed first if it is damaged) and fills the cache's tiers with it.</summary>
    private Block ReadDataBlock(int number, BlockHandle handle, bool fillCache, WarmOrigin origin = WarmOrigin.Demand)
        => ReadDataBlock(number, handle, fillCache, origin, wantCompressed: false, out _)!;

    /// <summary>
    /// <see cref="ReadDataBlock(int, BlockHandle, bool, WarmOrigin)"/>; with <paramref name="wantCompressed"/>,
    /// a Snappy block the compressed tier keeps comes back as <paramref name="kept"/> instead
    /// (pinned for the caller, as <see cref="LookupCompressed"/> returns one, and null returned):
    /// a point lookup then decodes it only up to its entry rather than whole.
    /// </summary>
    private Block? ReadDataBlock(int number, BlockHandle handle, bool fillCache, WarmOrigin origin, bool wantCompressed, out CompressedBlock? kept)
    {
        var file = _file;
        try { return ReadDataBlock(file, number, handle, fillCache, origin, wantCompressed, out kept); }
        catch (CorruptionException damage) when (_options.Healer is not null)
        {
            var healed = Heal(file, damage);
            if (healed is null) throw;
            return ReadDataBlock(healed, number, handle, fillCache, origin, wantCompressed, out kept);
        }
    }

    private Block? ReadDataBlock(IRandomAccessFile file, int number, BlockHandle handle, bool fillCache, WarmOrigin origin, bool wantCompressed, out CompressedBlock? kept)
    {
        kept = null;
        var tiers = _options.Tiers;
        bool tiered = fillCache && _compressedSlots is not null && tiers!.Tiered;
        if (tiered) return ReadIntoCompressedTier(file, number, handle, origin, wantCompressed, out kept);
        var raw = ArrayPool<byte>.Shared.Rent(BlockTrailer.StoredSize(file, _fileLength, handle) + BlockTrailer.Size);
        Block block;
        try
        {
            ReadOnlySpan<byte> stored;
            byte type;
            try { stored = BlockTrailer.ReadStored(file, _fileLength, handle, true, raw, out type, _cipher, Crypto.BlockKind.Data); }
            catch (CorruptionException ex) { throw ex.At(file.Path, handle.Offset); }
            block = NewBlock(BlockTrailer.Decode(stored, type, file.Path, handle.Offset, out int length, _options.BlockArrays), length, handle);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(raw);
        }
        if (fillCache && _cacheSlots is not null)
        {
            block.Anticipation = (int)origin;
            _options.BlockCache!.Insert(_cacheSlots, number, block, block.Charge);
        }
        return block;
    }

    /// <summary>
    /// <see cref="ReadDataBlock(IRandomAccessFile, int, BlockHandle, bool, WarmOrigin, bool, out CompressedBlock?)"/>
    /// while the compressed tier keeps blocks: the block is read straight into a buffer of the
    /// tier's pool and kept there (verified) without another copy. A block stored uncompressed
    /// has no smaller form: it is decoded, cached decompressed, and its buffer given back.
    /// </summary>
    private Block? ReadIntoCompressedTier(IRandomAccessFile file, int number, BlockHandle handle, WarmOrigin origin, bool wantCompressed, out CompressedBlock? kept)
    {
        kept = null;
        var tiers = _options.Tiers!;
        nint address = tiers.Buffers.Rent(BlockTrailer.StoredSize(file, _fileLength, handle) + BlockTrailer.Size, out int size);
        CompressedBlock? compressed = null;
        Block block;
        byte type;
        try
        {
            Span<byte> stored;
            unsafe
            {
                try { stored = BlockTrailer.ReadStored(file, _fileLength, handle, true, new Span<byte>((void*)address, size), out type, _cipher, Crypto.BlockKind.Data); }
                catch (CorruptionException ex) { throw ex.At(file.Path, handle.Offset); }
            }
            if (type != (byte)CompressionType.None)
            {
                compressed = tiers.Entries.Take(address, size, stored.Length, type);
                compressed.Anticipation = (int)origin;
                address = 0; // the block owns it now
                tiers.Compressed.Insert(_compressedSlots!, number, compressed, compressed.Charge);
                if (wantCompressed && type == (byte)CompressionType.Snappy)
                {
                    kept = compressed; // the creator's pin passes to the caller
                    compressed = null;
                    return null;
                }
            }
            // Still pinned by its creator, a kept block's bytes are those read. Only a block with
            // no compressed form is cached decompressed: any other is decoded for this reader alone.
            block = type == (byte)CompressionType.None
                ? NewBlock(BlockTrailer.Decode(stored, type, file.Path, handle.Offset, out int length, _options.BlockArrays), length, handle)
                : DecodeUncached(stored, type, handle);
        }
        finally
        {
            compressed?.Unpin(); // the cache holds it now, or nobody does
            if (address != 0) tiers.Buffers.Return(address, size);
        }
        // A block kept compressed earns a decompressed place only by being read again.
        if (type == (byte)CompressionType.None && _cacheSlots is not null)
        {
            block.Anticipation = (int)origin;
            _options.BlockCache!.Insert(_cacheSlots, number, block, block.Charge);
        }
        return block;
    }

    /// <summary>
    /// A data block decoded from <paramref name="stored"/> for one reader, never cached: into a
    /// <see cref="DecodeBuffers"/> buffer the reader's last unpin gives back to the thread, so a
    /// seek that decodes a block from the compressed tier or the file allocates nothing.
    /// </summary>
    private Block DecodeUncached(ReadOnlySpan<byte> stored, byte type, BlockHandle handle)
    {
        int length = BlockTrailer.DecodedLength(stored, type, _file.Path, handle.Offset);
        if (length > DecodeBuffers.MaxKeptSize) return NewBlock(BlockTrailer.Decode(stored, type, _file.Path, handle.Offset, out length, _options.BlockArrays), length, handle);
        var block = DecodeBuffers.Rent(length);
        try
        {
            BlockTrailer.DecodeInto(stored, type, block.Data.AsSpan(0, length), _file.Path, handle.Offset);
            block.ParseDecodedInto(length);
        }
        catch (CorruptionException ex)
        {
            block.Unpin();
            throw ex.At(_file.Path, handle.Offset);
        }
        catch
        {
            block.Unpin();
            throw;
        }
        if (_fences.WindowOffset >= 0) block.BuildRestartWindows(_fences.WindowOffset);
        return block;
    }

    /// <summary>A data block over freshly decoded contents, with its restart windows built.</summary>
    private Block NewBlock(byte[] data, int length, BlockHandle handle)
    {
        Block block;
        try { block = new Block(data, length, _options.BlockArrays); }
        catch (CorruptionException ex)
        {
            _options.BlockArrays?.Return(data);
            throw ex.At(_file.Path, handle.Offset);
        }
        if (_fences.WindowOffset >= 0) block.BuildRestartWindows(_fences.WindowOffset);
        return block;
    }

    /// <summary>
    /// Finds the first entry at or after <paramref name="lookupKey"/> (user key + snapshot
    /// trailer). Returns true when that entry has the same user key: the newest version this
    /// table holds that the snapshot may see. The value lies in <paramref name="block"/>.
    /// <paramref name="bloomHash"/> is <see cref="BloomFilter.Hash"/> of the user key (computed
    /// once per lookup, not per table). Allocates nothing when the block is cached. When it
    /// returns true, <paramref name="block"/> is pinned for the caller, who must
    /// <see cref="PinCountedEntry.Unpin"/> it once the value is copied.
    /// </summary>
    public bool Get(ReadOnlySpan<byte> lookupKey, ulong bloomHash, bool fillCache, out ulong trailer, out Block? block, out int valueOffset, out int valueLength)
    {
        trailer = 0;
        block = null;
        valueOffset = valueLength = 0;
        if (!BloomFilter.MayContain(_filter.Span, bloomHash))
        {
            _options.FilterUseful?.Increment();
            return false;
        }
        try
        {
            var dataIter = t_dataIter;
            if (dataIter is null || !dataIter.UsesComparer(_options.KeyComparer)) t_dataIter = dataIter = new BlockIterator(_options.KeyComparer);
            var userKey = InternalKey.UserKey(lookupKey);
            // Versions of one user key may straddle blocks; the loop moves on when a block ends first.
            for (int i = _fences.LowerBound(lookupKey, _options.Comparator, out ulong window, out bool windowed); i < _fences.Count; i++)
            {
                var handle = _fences.Handle(i);
                var data = LookupDecompressed(i);
                CompressedBlock? compressed = null;
                bool fresh = false;
                if (data is null && (compressed = LookupCompressed(i)) is null)
                {
                    // A block read from the file that the compressed tier keeps comes back compressed, to be searched as a compressed hit is.
                    fresh = true;
                    data = ReadDataBlock(i, handle, fillCache, WarmOrigin.Demand, wantCompressed: true, out compressed);
                }
                if (data is null)
                {
                    var stored = compressed!; // one of the two is set
                    if (stored.Type != (byte)CompressionType.Snappy) data = DecodeCompressed(stored, i, handle, fillCache && Promotes(stored));
                    else if (!fresh && fillCache && Promotes(stored) && _options.Tiers!.Promotions.Admit()) data = DecodeCompressed(stored, i, handle, promote: true);
                    else
                    {
                        int found = GetFromCompressed(stored, handle, lookupKey, userKey, fillCache, fresh, out trailer, out block, out valueOffset, out valueLength);
                        if (found >= 0) return found > 0;
                        data = DecodeCompressed(stored, i, handle, promote: false, fresh);
                    }
                }
                bool keep = false;
                try
                {
                    dataIter.Reset(data);
                    dataIter.Seek(lookupKey, window, windowed);
                    if (!dataIter.Valid) continue;
                    var key = dataIter.Key;
                    if (!InternalKey.IsWellFormed(key)) throw new CorruptionException("malformed internal key", _file.Path, handle.Offset);
                    if (_options.Comparator.CompareUser(InternalKey.UserKey(key), userKey) != 0) return false;
                    trailer = InternalKey.Trailer(key);
                    if ((ValueKind)(byte)trailer == ValueKind.BlobIndex)
                    {
                        // The value lives in a blob file: hand out a block of its own holding it.
                        var reference = Blob.BlobReference.Decode(data.Data.AsSpan(dataIter.ValueOffset, dataIter.ValueLength));
                        block = ReadBlob(reference, fillCache);
                        valueLength = BlobValueCache.ValueLength(block);
                        valueOffset = 0;
                        trailer = (trailer & ~0xFFUL) | (byte)reference.Kind;
                        return true;
                    }
                    block = data;
                    valueOffset = dataIter.ValueOffset;
                    valueLength = dataIter.ValueLength;
                    keep = true;
                    return true;
                }
                finally
                {
                    // The iterator outlives this read (one per thread): holding the block would keep
                    // it, and through its cache slots every block cached for this table, reachable
                    // after the table and its database are closed.
                    dataIter.Clear();
                    if (!keep) data.Unpin();
                }
            }
            return false;
        }
        catch (CorruptionException ex) when (ex.FilePath is null)
        {
            throw ex.At(_file.Path);
        }
    }

    /// <summary>
    /// The lookup of <see cref="Get(ReadOnlySpan{byte}, ulong, bool, out ulong, out Block?, out int, out int)"/>
    /// in a Snappy block of the compressed tier that is not to be promoted, decoding it only up to
    /// the entry sought, into a decode buffer that is handed out as the block holding the value. 1: found (the
    /// outputs set, the compressed block unpinned); 0: this table has no entry for the key (unpinned);
    /// -1: undecided (a malformed entry or none at or after the key): the caller decodes the whole
    /// block, whose checks report any damage, and the compressed block stays pinned for that.
    /// </summary>
    private int GetFromCompressed(CompressedBlock compressed, BlockHandle handle, ReadOnlySpan<byte> lookupKey, ReadOnlySpan<byte> userKey, bool fillCache, bool fresh,
        out ulong trailer, out Block? block, out int valueOffset, out int valueLength)
    {
        trailer = 0;
        block = null;
        valueOffset = valueLength = 0;
        ReadOnlySpan<byte> key;
        Block? decoded;
        int offset, length;
        try
        {
            if (!PrefixDecodedSeek.TrySeek(compressed.Stored, lookupKey, _options.KeyComparer, out key, out decoded, out offset, out length)) return -1;
        }
        catch (CorruptionException ex)
        {
            compressed.Unpin();
            throw ex.At(_file.Path, handle.Offset);
        }
        bool handedOut = false;
        try
        {
            if (!fresh)
            {
                _options.Tiers!.RecordCompressedHit();
                _options.Anticipation?.RecordHit(compressed);
            }
            if (!InternalKey.IsWellFormed(key)) throw new CorruptionException("malformed internal key", _file.Path, handle.Offset);
            if (_options.Comparator.CompareUser(InternalKey.UserKey(key), userKey) != 0) return 0;
            trailer = InternalKey.Trailer(key);
            if ((ValueKind)(byte)trailer == ValueKind.BlobIndex)
            {
                var reference = Blob.BlobReference.Decode(decoded!.Data.AsSpan(offset, length));
                block = ReadBlob(reference, fillCache);
                valueLength = BlobValueCache.ValueLength(block);
                trailer = (trailer & ~0xFFUL) | (byte)reference.Kind;
                return 1;
            }
            // The value stays where it was decoded: the decode buffer goes to the reader, pinned.
            block = decoded;
            valueOffset = offset;
            valueLength = length;
            handedOut = true;
            return 1;
        }
        finally
        {
            compressed.Unpin();
            if (!handedOut) decoded!.Unpin();
        }
    }

    /// <summary><see cref="Get(ReadOnlySpan{byte}, ulong, bool, out ulong, out Block?, out int, out int)"/> hashing the key itself.</summary>
    public bool Get(ReadOnlySpan<byte> lookupKey, bool fillCache, out ulong trailer, out Block? block, out int valueOffset, out int valueLength)
        => Get(lookupKey, BloomFilter.Hash(InternalKey.UserKey(lookupKey)), fillCache, out trailer, out block, out valueOffset, out valueLength);

    /// <summary>
    /// An iterator over the table. With <paramref name="resolveBlobs"/> (every reader but
    /// compaction) entries of kind <see cref="ValueKind.BlobIndex"/> show the kind and value they
    /// were written with; without it they show the blob reference, which compaction moves as it is.
    /// </summary>
    public InternalIterator NewIterator(bool fillCache, bool resolveBlobs = true) => new TableIterator(this, _options.KeyComparer, fillCache, NewReadahead(), resolveBlobs);

    /// <summary>
    /// <see cref="NewIterator(bool, bool)"/>, reusing <paramref name="reuse"/> (an iterator of another table
    /// its owner is done with) when it is a table iterator with the same settings: pointed at this
    /// table, its buffers kept. Otherwise <paramref name="reuse"/> is disposed and a new one made.
    /// </summary>
    public InternalIterator NewIteratorReusing(InternalIterator? reuse, bool fillCache, bool resolveBlobs)
    {
        if (reuse is TableIterator iterator && iterator.CanRetarget(_options.KeyComparer, fillCache, resolveBlobs))
        {
            iterator.Retarget(this, ReuseReadahead(iterator.Readahead));
            return iterator;
        }
        reuse?.Dispose();
        return NewIterator(fillCache, resolveBlobs);
    }

    /// <summary><see cref="NewReadahead"/>, reusing <paramref name="existing"/> (an iterator's, of another table) when it fits.</summary>
    private Readahead? ReuseReadahead(Readahead? existing)
    {
        if (_options.Warmer is not { } warmer || _options.ReadaheadMaxBytes <= 0 || _cacheSlots is null) return null;
        return existing?.ReuseFor(warmer, this, _options.ReadaheadMaxBytes) ?? new Readahead(warmer, this, _options.ReadaheadMaxBytes);
    }

    private Readahead? NewReadahead()
        => _options.Warmer is { } warmer && _options.ReadaheadMaxBytes > 0 && _cacheSlots is not null ? new Readahead(warmer, this, _options.ReadaheadMaxBytes) : null;

    /// <summary>
    /// The value <paramref name="reference"/> (read from this table) names, in a block pinned for
    /// the caller holding it from offset 0 (<see cref="BlobValueCache.ValueLength"/> bytes): from
    /// the blob value cache, or read from its blob file and offered to the cache when <paramref name="fillCache"/>.
    /// </summary>
    internal Block ReadBlob(in Blob.BlobReference reference, bool fillCache)
    {
        var blobs = _options.Blobs ?? throw new CorruptionException("table holds a blob reference but the database reads no blob files", _file.Path);
        var cache = _options.BlobValues;
        if (cache?.Lookup(reference) is { } cached) return cached;
        var block = BlobValueCache.NewBlock(blobs.ValueSize(reference), reference.Offset, _options.BlockArrays);
        try { blobs.ReadInto(reference, BlobValueCache.Value(block)); }
        catch
        {
            block.Unpin();
            throw;
        }
        if (fillCache && cache is not null) cache.Insert(reference, block, blobs.Get(reference.FileNumber).RecordCount);
        return block;
    }

    /// <summary>Approximate file offset where <paramref name="internalKey"/> would be (for size estimates).</summary>
    public long ApproximateOffsetOf(ReadOnlySpan<byte> internalKey)
    {
        int block = _fences.LowerBound(internalKey, _options.Comparator);
        return block < _fences.Count ? _fences.Handle(block).Offset : Footer.MetaIndex.Offset;
    }

    /// <summary>Reads every data block, verifying checksums and entry order. Returns the number of entries.</summary>
    public long VerifyAll()
    {
        long entries = 0;
        var dataIter = new BlockIterator(_options.KeyComparer);
        byte[]? previous = null;
        for (int block = 0; block < _fences.Count; block++)
        {
            var handle = _fences.Handle(block);
            dataIter.Reset(ReadUncachedBlock(handle, Crypto.BlockKind.Data));
            for (dataIter.SeekToFirst(); dataIter.Valid; dataIter.Next())
            {
                if (!InternalKey.IsWellFormed(dataIter.Key)) throw new CorruptionException("malformed internal key", _file.Path, handle.Offset);
                if (previous is not null && _options.Comparator.Compare(previous, dataIter.Key) >= 0)
                    throw new CorruptionException("keys out of order", _file.Path, handle.Offset);
                previous = dataIter.Key.ToArray();
                entries++;
            }
        }
        if (entries != Properties.NumEntries)
            throw new CorruptionException($"table holds {entries} entries but its properties say {Properties.NumEntries}", _file.Path);
        return entries;
    }

    /// <summary>A block read straight from the file, bypassing the cache (healed first if it is damaged).</summary>
    private Block ReadUncachedBlock(BlockHandle handle, Crypto.BlockKind kind)
    {
        var file = _file;
        try { return ReadBlock(file, _fileLength, handle, _cipher, kind); }
        catch (CorruptionException damage) when (_options.Healer is not null)
        {
            var healed = Heal(file, damage);
            if (healed is null) throw;
            return ReadBlock(healed, _fileLength, handle, _cipher, kind);
        }
    }

    /// <summary>
    /// The file to read again after <paramref name="damage"/> was met reading <paramref name="failed"/>:
    /// an intact copy put in place by the healer (or by another read meanwhile), or null when
    /// there is none and the damage stands.
    /// </summary>
    private IRandomAccessFile? Heal(IRandomAccessFile failed, CorruptionException damage)
    {
        lock (_healLock)
        {
            if (!ReferenceEquals(_file, failed)) return _file;
            if (_options.Healer!.TryHeal(FileNumber, damage) is not { } healed) return null;
            // The copy holds the bytes this reader's index and filter were read from; a file of
            // another layout would be misread through them. Later opens read the copy afresh.
            if (!SameLayout(healed))
            {
                healed.Dispose();
                return null;
            }
            (_replaced ??= []).Add(failed);
            Volatile.Write(ref _file, healed);
            return healed;
        }
    }

    private bool SameLayout(IRandomAccessFile copy)
    {
        if (copy.Length != _fileLength) return false;
        Span<byte> bytes = stackalloc byte[Footer.Size];
        if (copy.ReadExactly(_fileLength - Footer.Size, bytes) != Footer.Size) return false;
        try
        {
            var footer = Footer.Decode(bytes, copy.Path, _fileLength - Footer.Size);
            return footer.MetaIndex == Footer.MetaIndex && footer.Index == Footer.Index && footer.EncryptionKeyId == Footer.EncryptionKeyId
                && footer.Salt.AsSpan().SequenceEqual(Footer.Salt);
        }
        catch (CorruptionException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _options.BlockCache?.AddPinned(-_pinnedCharge);
        _file.Dispose();
        lock (_healLock)
            foreach (var file in _replaced ?? []) file.Dispose();
        _cipher?.Dispose();
        _fences.Dispose();
        _filter.Dispose();
    }
}
