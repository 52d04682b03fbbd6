using System.Buffers;
using LatticeKV.Cache;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV;

/// <summary>
/// An embedded, ordered, durable key-value store (a log-structured merge tree).
/// All members are thread-safe. Writes are atomic per call or <see cref="WriteBatch"/> and
/// durable as <see cref="WriteOptions.Sync"/> describes; reads see a consistent point in time.
/// </summary>
/// <example>
/// <code>
/// using var db = LatticeDb.Open("/var/lib/ledger");
/// db.Put("account/alice"u8, "100"u8);
/// byte[]? balance = db.Get("account/alice"u8);
/// using var it = db.NewIterator();
/// for (it.Seek("account/"u8); it.Valid &amp;&amp; it.Key.StartsWith("account/"u8); it.Next()) { /* ... */ }
/// </code>
/// </example>
public sealed partial class LatticeDb : IDisposable, IWriteHost
{
    // Every field of the database is declared here, grouped by what guards it. The other
    // partial files (Read, Open, Background, ColumnFamilies, Properties) hold methods only.
    //
    // Lock order (a thread holding one may take those after it, never those before):
    //   1. _columnFamilyLock (column family create/drop)
    //   2. write leadership (the front of WritePath's queue; a leader holds no lock while it
    //      waits, so the order matters only for what it takes while leading)
    //   3. VersionSet's manifest lock (LogAndApply)
    //   4. _mutex
    //   5. leaf locks: WritePath's queue lock, the snapshot list, the table and block caches,
    //      VersionSet's live-version lock. Nothing is taken while one of these is held.
    // Self-healing sits beside this order: a read that meets a damaged table holds none of the
    // locks above when it takes its table reader's heal lock, then the healer's (SelfHealing),
    // which looks the table up under _mutex and the live-version lock.

    // Constant after open.
    private readonly string _path;
    private readonly DbOptions _options;
    private readonly IFileSystem _fs;
    private readonly InternalKeyComparator _cmp;
    private readonly bool _readOnly;
    private readonly IDisposable _dirLock;
    private readonly VersionSet _versions;
    private readonly BlockCache<Block> _blockCache;      // the decompressed tier of _cacheTiers
    private readonly BlockCacheTiers _cacheTiers;
    private readonly TableCache _tableCache;
    private readonly Blob.BlobFileCache _blobFiles;          // thread-safe on its own; also _tableCache.Options.Blobs
    private long _blobValuesWritten;                      // Interlocked
    private long _blobBytesWritten;                       // Interlocked
    private long _blobGcRuns;                             // Interlocked: compactions that copied values out of blob files being collected
    private long _blobGcBytes;                            // Interlocked: the bytes they wrote for those values
    private readonly CompactionPicker _picker;
    private readonly DbStatistics _stats;
    private readonly Metrics.DbMetrics _metrics;           // thread-safe on its own
    private readonly Metrics.StripedCounter _filterUseful = new();
    private readonly WritePath _writePath;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly List<Thread> _threads = [];
    private readonly Events.EventDispatcher _events;     // thread-safe on its own
    private Events.AlertMonitor? _alerts;                 // set once at open; thread-safe on its own
    private ColumnFamilyHandle _defaultHandle = null!;   // set once by recovery
    private Crypto.KeyRegistry? _keys;                    // set once by recovery; thread-safe on its own
    private long _optionsFileNumber;                      // set once by recovery
    private Backup.SelfHealing? _healing;                 // set once by recovery; thread-safe on its own
    private Indexing.IndexCatalog? _indexes;              // set once at open; thread-safe on its own
    private Integrity.ForeignKeyCatalog? _foreignKeys;    // set once at open; thread-safe on its own
    private CacheAnticipation? _anticipation;             // set once at open; thread-safe on its own

    // Guarded by _columnFamilyLock: creating and dropping column families, one at a time.
    private readonly Lock _columnFamilyLock = new();

    // The database mutex: column family state, memtable switches, background scheduling.
    private readonly object _mutex = new();
    // Guarded by _mutex.
    private readonly SnapshotList _snapshots = new();  // also thread-safe on its own for reads
    private readonly HashSet<long> _pendingOutputs = [];
    private Exception? _backgroundError;               // also read without the mutex (volatile)
    private bool _backgroundErrorSoft;
    private bool _purgeRequested;
    private int _manualCompactions;
    private readonly ReencryptionPacer? _reencryption; // null without encryption
    private IdleL0Drain? _idleDrain; // set when background work starts; null when DbOptions.IdleCompactionDelay is off
    private readonly Dictionary<uint, int> _keysInJobs = []; // keys running flushes and compactions seal with
    private bool _scopeStageAdded;
    private int _validationStageAdded;                 // 1 once the validation stage is added (Interlocked)
    private readonly List<Func<IEnumerable<uint>>> _keyHolders = []; // backups and copies that still need keys
    private int _runningJobs;
    // Replaced whole under _mutex; read without it.
    private Dictionary<uint, ColumnFamilyData> _columnFamilies = [];
    // Set under _mutex (at close); read without it.
    private volatile bool _closed;

    private LatticeDb(string path, DbOptions options, bool readOnly = false)
    {
        _readOnly = readOnly;
        _path = path;
        _options = options;
        _fs = options.FileSystem;
        _cmp = new InternalKeyComparator(options.Comparator);
        _metrics = new Metrics.DbMetrics(options.Name ?? MetricsName(path), options.Clock, options.SlowOperationThreshold, options.LatencySampling);
        _stats = new DbStatistics(_metrics);
        // A few megabytes of arrays, and of compressed blocks' memory, suffice: each read that misses the cache evicts about what it inserts.
        _cacheTiers = new BlockCacheTiers(options.BlockCacheCapacity, new BlockArrayPool(BlockArrayPoolCapacity(options.BlockCacheCapacity)),
            new NativeBlockPool(CompressedBlockPoolCapacity(options.BlockCacheCapacity)));
        _blockCache = _cacheTiers.Decompressed;
        _tableCache = new TableCache(_fs, path, new TableReaderOptions(_cmp, _blockCache, options.ParanoidChecks, tiers: _cacheTiers) { FilterUseful = _filterUseful }, options.MaxOpenFiles);
        _blobFiles = new Blob.BlobFileCache(_fs, path);
        _tableCache.Options.Blobs = _blobFiles;
        if (options.CacheBlobValues && options.BlockCacheCapacity > 0) _tableCache.Options.BlobValues = new BlobValueCache(_blockCache);
        _picker = new CompactionPicker(options.ToLsmOptions());
        _events = CreateEventDispatcher(options, _fs, path, readOnly);
        _writePath = new WritePath(this, options, _fs, path, _cmp, _stats);
        _versions = new VersionSet(_fs, path, _cmp, options.NumLevels, _mutex, options.MaxManifestFileSize)
        {
            LastSequence = () => _writePath.LastSequence,
        };
        _versions.VersionReleased += OnVersionReleased;
        if (options.Encryption is { } encryption) _reencryption = new ReencryptionPacer(encryption.ReencryptionBytesPerSecond);
        _dirLock = AcquireDirectoryLock(_fs, path, options.CreateIfMissing && !readOnly, shared: readOnly);
    }

    /// <summary>
    /// Opens (or creates) the database in directory <paramref name="path"/>, replaying its
    /// write-ahead log. Every column family found is opened. Throws
    /// <see cref="DbLockedException"/> when another process or instance has it open,
    /// <see cref="DbNotFoundException"/> / <see cref="DbAlreadyExistsException"/> per
    /// <see cref="DbOptions.CreateIfMissing"/> / <see cref="DbOptions.ErrorIfExists"/>, and
    /// <see cref="CorruptionException"/> when stored data is damaged beyond what
    /// <see cref="DbOptions.WalRecoveryMode"/> tolerates.
    /// </summary>
    public static LatticeDb Open(string path, DbOptions? options = null)
    {
        string full = Prepare(path, ref options);
        CheckSchemaBeforeOpen(full, options);
        var db = new LatticeDb(full, options);
        try
        {
            db.FinishPendingRollback();
            db.Recover();
            db.OpenReplication();
            db.OpenIndexes();
            db.OpenForeignKeys();
            db.StartBackgroundWork();
            db.StartAnticipation();
            db.StartAlerts();
            db.ResumeIndexes();
            db.ResumeForeignKeys();
            db.RunMigrations();
            db.StartStorageMonitor();
            db.WireObservability();
            db._metrics.Register(db);
            return db;
        }
        catch (Migrations.MigrationStepFailure failure)
        {
            throw db.RollBack(failure);
        }
        catch
        {
            db.CloseAfterFailedOpen();
            throw;
        }
    }

    /// <summary>
    /// Opens the existing database in <paramref name="path"/> for reading only, as RocksDB's
    /// <c>OpenForReadOnly</c> does: nothing in the directory is created, changed or deleted.
    /// The write-ahead log is replayed into memory, so every acknowledged write is visible, but
    /// no table is flushed and no background work runs. Several read-only instances (in this or
    /// other processes) may share a directory; a read-write <see cref="Open"/> excludes them and
    /// they exclude it (<see cref="DbLockedException"/>). Writes, flushes, compactions and column
    /// family changes throw <see cref="DbReadOnlyException"/>. The view is fixed at open.
    /// </summary>
    public static LatticeDb OpenReadOnly(string path, DbOptions? options = null)
    {
        string full = Prepare(path, ref options);
        var db = new LatticeDb(full, options, readOnly: true);
        try
        {
            db.RecoverReadOnly();
            db.OpenReplication();
            db.OpenIndexes();
            db.OpenForeignKeys();
            db.StartAnticipation();
            db.WireObservability();
            db._metrics.Register(db);
            return db;
        }
        catch
        {
            db.CloseAfterFailedOpen();
            throw;
        }
    }

    /// <summary>Checks the path, validates a private copy of the options, and resolves the full path.</summary>
    private static string Prepare(string path, [System.Diagnostics.CodeAnalysis.NotNull] ref DbOptions? options)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidArgumentException("Database path must not be empty.", nameof(path));
        options = (options ?? new DbOptions()).Clone();
        options.Validate();
        return options.FileSystem is RealFileSystem ? System.IO.Path.GetFullPath(path) : path;
    }

    /// <summary>True when this instance was opened with <see cref="OpenReadOnly"/>.</summary>
    public bool IsReadOnly => _readOnly;

    /// <summary>
    /// Rebuilds the database at <paramref name="path"/> when its MANIFEST or CURRENT is lost or
    /// damaged: every readable entry of every table (block by block) and every intact log record
    /// is merged into new tables, and a new MANIFEST names them. The database must not be open.
    /// Old files are moved to a <c>lost</c> subdirectory. Returns what was kept and lost.
    /// Use <paramref name="options"/> to give the comparator and column family options the
    /// database was created with. An encrypted database needs <see cref="DbOptions.Encryption"/>:
    /// the rebuilt tables of encrypted families and the new MANIFEST are sealed, the key registry
    /// stays in place, and tables of shredded families are counted in
    /// <see cref="RepairReport.TablesShredded"/>, never brought back.
    /// </summary>
    /// <exception cref="EncryptionKeyException">The database is encrypted and the key is missing or wrong (nothing was changed).</exception>
    public static RepairReport Repair(string path, DbOptions? options = null)
    {
        string full = Prepare(path, ref options);
        var report = new Db.Repairer(full, options).Run();
        RaiseRepairEvent(full, options, report);
        return report;
    }

    /// <summary>The directory of this database.</summary>
    public string Path => _path;

    /// <summary>The default column family.</summary>
    public ColumnFamilyHandle DefaultColumnFamily
    {
        get
        {
            ThrowIfClosed();
            return _defaultHandle;
        }
    }

    /// <summary>The sequence number of the newest acknowledged write.</summary>
    public ulong LatestSequenceNumber => _writePath.LastSequence;

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in the default column family.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options = null)
        => Put(DefaultColumnFamily, key, value, options);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in <paramref name="columnFamily"/>.</summary>
    public void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteOptions? options = null)
    {
        CheckHandle(columnFamily);
        var batch = RentBatch();
        try
        {
            batch.Put(columnFamily, key, value);
            WriteTimed(batch, options, OperationKind.Put, columnFamily.Data, key);
        }
        finally
        {
            ReturnBatch(batch);
        }
    }

    /// <summary>Removes <paramref name="key"/> from the default column family; absent keys are not an error.</summary>
    public void Delete(ReadOnlySpan<byte> key, WriteOptions? options = null) => Delete(DefaultColumnFamily, key, options);

    /// <summary>Removes <paramref name="key"/> from <paramref name="columnFamily"/>; absent keys are not an error.</summary>
    public void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, WriteOptions? options = null)
    {
        CheckHandle(columnFamily);
        var batch = RentBatch();
        try
        {
            batch.Delete(columnFamily, key);
            WriteTimed(batch, options, OperationKind.Delete, columnFamily.Data, key);
        }
        finally
        {
            ReturnBatch(batch);
        }
    }

    /// <summary>
    /// Removes every key in [<paramref name="begin"/>, <paramref name="end"/>) of the default
    /// column family with one range tombstone: O(1) to write, whatever the number of keys.
    /// </summary>
    public void DeleteRange(ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, WriteOptions? options = null)
        => DeleteRange(DefaultColumnFamily, begin, end, options);

    /// <summary>Removes every key in [<paramref name="begin"/>, <paramref name="end"/>) of <paramref name="columnFamily"/>.</summary>
    public void DeleteRange(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, WriteOptions? options = null)
    {
        CheckHandle(columnFamily);
        var batch = RentBatch();
        try
        {
            batch.DeleteRange(columnFamily, begin, end);
            WriteTimed(batch, options, OperationKind.Delete, columnFamily.Data, begin);
        }
        finally
        {
            ReturnBatch(batch);
        }
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically.</summary>
    public void Write(WriteBatch batch, WriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        WriteTimed(batch, options, OperationKind.Write, null, default);
    }

    /// <summary>The value of <paramref name="key"/> in the default column family, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key, ReadOptions? options = null) => Get(DefaultColumnFamily, key, options);

    /// <summary>The value of <paramref name="key"/> in <paramref name="columnFamily"/>, or null.</summary>
    public byte[]? Get(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOptions? options = null)
    {
        byte[]? result = null;
        GetCore(columnFamily, key, options, ref result, static (ReadOnlySpan<byte> value, ref byte[]? r) => r = value.ToArray());
        return result;
    }

    /// <summary>
    /// Allocation-free read: copies the value of <paramref name="key"/> into
    /// <paramref name="destination"/> when it fits. Returns false when the key is absent.
    /// When it returns true, <paramref name="valueLength"/> is the value's length; if that exceeds
    /// <paramref name="destination"/>.Length nothing was copied and the caller may retry with a
    /// larger buffer (under a snapshot to be sure of seeing the same value).
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength, ReadOptions? options = null)
        => TryGet(DefaultColumnFamily, key, destination, out valueLength, options);

    /// <summary>Allocation-free read from <paramref name="columnFamily"/>; see <see cref="TryGet(ReadOnlySpan{byte}, Span{byte}, out int, ReadOptions?)"/>.</summary>
    public bool TryGet(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, Span<byte> destination, out int valueLength, ReadOptions? options = null)
    {
        var sink = new SpanSink(destination);
        bool found = GetCore(columnFamily, key, options, ref sink, static (ReadOnlySpan<byte> value, ref SpanSink s) => s.Copy(value));
        valueLength = sink.Length;
        return found;
    }

    /// <summary>
    /// Reads the value of <paramref name="key"/> into <paramref name="destination"/> (for example
    /// a reused <see cref="ArrayBufferWriter{T}"/>). Returns false when absent.
    /// </summary>
    public bool TryGet(ReadOnlySpan<byte> key, IBufferWriter<byte> destination, ReadOptions? options = null)
        => TryGet(DefaultColumnFamily, key, destination, options);

    /// <summary>Reads the value of <paramref name="key"/> in <paramref name="columnFamily"/> into <paramref name="destination"/>.</summary>
    public bool TryGet(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, IBufferWriter<byte> destination, ReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        return GetCore(columnFamily, key, options, ref destination, static (ReadOnlySpan<byte> value, ref IBufferWriter<byte> w) => w.Write(value));
    }

    /// <summary>True when <paramref name="key"/> has a value in the default column family.</summary>
    public bool ContainsKey(ReadOnlySpan<byte> key, ReadOptions? options = null)
    {
        int dummy = 0;
        return GetCore(DefaultColumnFamily, key, options, ref dummy, static (ReadOnlySpan<byte> _, ref int _) => { });
    }

    /// <summary>
    /// Takes a snapshot: reads through it see the database exactly as of now, across all
    /// column families, until it is disposed.
    /// </summary>
    public Snapshot GetSnapshot()
    {
        ThrowIfClosed();
        lock (_mutex)
        {
            ulong seq = _writePath.LastSequence;
            _snapshots.Add(seq);
            return new Snapshot(_snapshots, seq, this);
        }
    }

    /// <summary>An iterator over the default column family; dispose it when done.</summary>
    public LatticeIterator NewIterator(ReadOptions? options = null) => NewIterator(DefaultColumnFamily, options);

    /// <summary>An iterator over <paramref name="columnFamily"/>; dispose it when done.</summary>
    public LatticeIterator NewIterator(ColumnFamilyHandle columnFamily, ReadOptions? options = null)
    {
        CheckHandle(columnFamily);
        options ??= ReadOptions.Default;
        ulong snapshot = ResolveSnapshot(options);
        var cfd = columnFamily.Data;
        var sv = cfd.AcquireSuperVersion();
        try
        {
            return LatticeIterator.Create(this, cfd, sv, snapshot, options);
        }
        catch
        {
            sv.Release();
            throw;
        }
    }

    /// <summary>Writes every column family's memtable to a table and waits for it.</summary>
    public void Flush()
    {
        ThrowIfClosed();
        ThrowIfReadOnly("a flush");
        FlushColumnFamilies([.. _columnFamilies.Values.Where(c => !c.Dropped)]);
    }

    /// <summary>Writes <paramref name="columnFamily"/>'s memtable to a table and waits for it.</summary>
    public void Flush(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("a flush");
        FlushColumnFamilies([columnFamily.Data]);
    }

    /// <summary>
    /// Compacts the default column family's keys in [<paramref name="begin"/>, <paramref name="end"/>]
    /// (null = unbounded) down to the bottom level, dropping overwritten and deleted data.
    /// Waits until done.
    /// </summary>
    public void CompactRange(byte[]? begin = null, byte[]? end = null) => CompactRange(DefaultColumnFamily, begin, end);

    /// <summary>Compacts a key range of <paramref name="columnFamily"/>; see <see cref="CompactRange(byte[], byte[])"/>.</summary>
    public void CompactRange(ColumnFamilyHandle columnFamily, byte[]? begin = null, byte[]? end = null)
    {
        CheckHandle(columnFamily);
        ThrowIfReadOnly("a compaction");
        CompactRangeCore(columnFamily.Data, begin, end);
    }

    /// <summary>
    /// Waits until background flushes and compactions have caught up: no memtable is waiting
    /// for flush, no level exceeds its size target and no blob file whose garbage reached its
    /// family's <see cref="ColumnFamilyOptions.BlobGarbageCollectionRatio"/> waits for the
    /// background garbage collection that copies its live values out. With
    /// <see cref="DbOptions.IdleCompactionDelay"/> on, the caller counts as idle at once: level-0
    /// tables below the trigger are drained into level 1 too (where the drain's write bound
    /// allows), so a settled tree has no level-0 table left by where the writes stopped. Useful
    /// before measuring the shape of the tree or its size. Throws
    /// <see cref="BackgroundErrorException"/> if background work failed.
    /// </summary>
    public void WaitForCompactions()
    {
        ThrowIfClosed();
        if (_readOnly) return; // no background work runs, so there is nothing to wait for
        lock (_mutex)
        {
            if (_idleDrain is not null)
            {
                _idleDrain.DeclareIdle();
                Monitor.PulseAll(_mutex);
            }
            while (true)
            {
                ThrowIfClosed();
                if (_backgroundError is { } err) throw new BackgroundErrorException("Background work failed: " + err.Message, err);
                bool busy = _runningJobs > 0 || _columnFamilies.Values.Any(c => !c.Dropped && (c.Imm.Count > 0 || _picker.NeedsCompaction(c.State.Current)))
                    || ReencryptionPending() || BlobCollectionPending() || _idleDrain?.Pending(_picker, _columnFamilies.Values) == true;
                if (!busy) return;
                Monitor.Wait(_mutex);
            }
        }
    }

    /// <summary>
    /// Closes the database: waits for in-flight writes, stops background work (interrupting a
    /// running compaction, whose partial output is discarded), syncs the write-ahead log and
    /// releases the directory lock. Unflushed memtables are recovered from the log on the next open.
    /// </summary>
    public void Dispose() => Close();

    /// <summary>
    /// The most bytes of freed block arrays the cache keeps for reuse: a sixty-fourth of the
    /// cache (at least 256 KiB, at most 8 MiB), and never more than a quarter of it, as the pool
    /// is charged to the cache's capacity.
    /// </summary>
    internal static long BlockArrayPoolCapacity(long cacheCapacity)
        => Math.Min(Math.Max(cacheCapacity / 64, 256 * 1024), Math.Min(8L << 20, cacheCapacity / 4));

    /// <summary>
    /// The most bytes of freed compressed blocks' memory the cache keeps for reuse: as much as
    /// the arrays' pool, but never more than a thirty-second of the cache, as it comes out of the
    /// compressed tier's share, which a small cache cannot spare (its shards have a floor).
    /// </summary>
    internal static long CompressedBlockPoolCapacity(long cacheCapacity)
        => Math.Min(BlockArrayPoolCapacity(cacheCapacity), cacheCapacity / 32);

    internal void ThrowIfClosed()
    {
        if (_closed) ThrowClosed();
    }

    private static void ThrowClosed() => throw new ObjectDisposedException(nameof(LatticeDb), "The database has been closed.");

    private void CheckHandle(ColumnFamilyHandle columnFamily)
    {
        ArgumentNullException.ThrowIfNull(columnFamily);
        ThrowIfClosed();
        if (!ReferenceEquals(columnFamily.Db, this)) throw new InvalidArgumentException("The column family handle belongs to another database.", nameof(columnFamily));
        if (columnFamily.Data.Dropped) throw new ColumnFamilyNotFoundException(columnFamily.Name);
    }

    private ulong ResolveSnapshot(ReadOptions options)
    {
        if (options.Snapshot is not { } snap) return _writePath.LastSequence;
        if (!ReferenceEquals(snap.Db, this)) throw new InvalidArgumentException("The snapshot belongs to another database.", nameof(options));
        if (snap.IsReleased) throw new InvalidArgumentException("The snapshot has been disposed.", nameof(options));
        return snap.SequenceNumber;
    }

    private void WriteCore(WriteBatch batch, WriteOptions options) => WriteChecked(batch, options, check: null);

    /// <summary>
    /// Writes <paramref name="batch"/> after <paramref name="check"/> passes with no other write
    /// between them (stage 3 of <see cref="WritePath"/>): how transactions commit.
    /// </summary>
    internal void WriteChecked(WriteBatch batch, WriteOptions options, ICommitCheck? check)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("a write");
        _writePath.Write(batch, options.Sync, check);
    }

    /// <summary>Writers queued for the WAL, the leader included (for tests of group commit).</summary>
    internal int QueuedWriters => _writePath.QueuedWriters;

    object IWriteHost.Mutex => _mutex;

    Dictionary<uint, ColumnFamilyData> IWriteHost.ColumnFamilies => _columnFamilies;

    bool IWriteHost.IsClosed => _closed;

    Exception? IWriteHost.BackgroundError => Volatile.Read(ref _backgroundError);

    void IWriteHost.SetBackgroundError(Exception error, bool soft) => SetBackgroundError(error, soft);

    Events.EventDispatcher IWriteHost.Events => _events;

    long IWriteHost.NewFileNumber() => _versions.NewFileNumber();

    long IWriteHost.PendingCompactionBytes(LsmVersion version) => _picker.PendingBytes(version);

    [ThreadStatic] private static WriteBatch? t_batch; // a reused batch per thread for single-key writes

    private static WriteBatch RentBatch()
    {
        var b = t_batch ?? new WriteBatch();
        t_batch = null;
        return b;
    }

    private static void ReturnBatch(WriteBatch b)
    {
        if (b.DataSize > 1 << 20) return; // do not pin big buffers to the thread
        b.Clear();
        t_batch = b;
    }

    private static IDisposable AcquireDirectoryLock(IFileSystem fs, string path, bool createIfMissing, bool shared)
    {
        if (!fs.DirectoryExists(path))
        {
            if (!createIfMissing) throw new DbNotFoundException(path);
            fs.CreateDirectory(path);
        }
        return fs.LockFile(FileNames.LockPath(path), shared);
    }

    private void ThrowIfReadOnly(string operation)
    {
        if (_readOnly) throw new DbReadOnlyException(_path, operation);
    }

    /// <summary>A copy target for <see cref="TryGet(ReadOnlySpan{byte}, Span{byte}, out int, ReadOptions?)"/>.</summary>
    private ref struct SpanSink(Span<byte> destination)
    {
        private readonly Span<byte> _destination = destination;

        public int Length;

        public void Copy(ReadOnlySpan<byte> value)
        {
            Length = value.Length;
            if (value.Length <= _destination.Length) value.CopyTo(_destination);
        }
    }
}
