using LatticeKV.Compaction;
using LatticeKV.Io;

namespace LatticeKV;

/// <summary>
/// Settings of a database, given to <see cref="LatticeDb.Open"/>. The defaults suit a
/// general-purpose workload; every size is in bytes.
/// </summary>
public sealed class DbOptions
{
    /// <summary>Create the database when the directory holds none. Default true.</summary>
    public bool CreateIfMissing { get; set; } = true;

    /// <summary>Fail with <see cref="DbAlreadyExistsException"/> when a database already exists. Default false.</summary>
    public bool ErrorIfExists { get; set; }

    /// <summary>
    /// Memtable size (per column family) at which it becomes immutable and is flushed to a
    /// level-0 table in the background. Default 64 MiB.
    /// </summary>
    public long WriteBufferSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// Memtables a column family may hold, counting the one being written. When that many are
    /// waiting for flush, writes wait. Default 2. Memory per column family is bounded by
    /// WriteBufferSize × MaxWriteBufferNumber.
    /// </summary>
    public int MaxWriteBufferNumber { get; set; } = 2;

    /// <summary>Orders keys; stored in the database and checked on every open. Default <see cref="KeyComparator.Bytewise"/>.</summary>
    public KeyComparator Comparator { get; set; } = KeyComparator.Bytewise;

    /// <summary>How to treat a damaged write-ahead log at open. Default <see cref="WalRecoveryMode.TolerateCorruptedTailRecords"/>.</summary>
    public WalRecoveryMode WalRecoveryMode { get; set; } = WalRecoveryMode.TolerateCorruptedTailRecords;

    /// <summary>
    /// On open, check that every table the MANIFEST lists exists with the recorded size and
    /// verify every block checksum of every table. Slower open; default false (checksums are
    /// verified on every read regardless).
    /// </summary>
    public bool ParanoidChecks { get; set; }

    /// <summary>
    /// What <see cref="LatticeDb.Open"/> and <see cref="LatticeDb.OpenReadOnly"/> check before
    /// they return. Default <see cref="LatticeKV.StartupCheck.Quick"/>: every table exists with its recorded
    /// size and its footer, index and filter pass their checksums, without reading data blocks.
    /// </summary>
    public StartupCheck StartupCheck { get; set; } = StartupCheck.Quick;

    /// <summary>
    /// Called each time the startup check has checked a file, with the bytes of the files checked
    /// so far and in all (tables are checked in parallel: the calls come from several threads,
    /// one at a time). Null (default): no progress is reported.
    /// </summary>
    public Action<Inspect.VerifyProgress>? StartupCheckProgress { get; set; }

    /// <summary>
    /// A backup directory (written by the backup engine: its tables lie in <c>shared/</c>) from which
    /// the database heals itself. When a read, a compaction or the startup check finds a live
    /// table damaged or missing, the same file (matched by database id, file number, size and
    /// checksum) is copied from the backup, verified, and put in place, and the operation carries
    /// on with correct data. Every healing is counted (<see cref="LatticeDb.GetStatistics"/>,
    /// <c>backup.healed.tables</c>) and listed (<see cref="LatticeDb.GetTableHealings"/>). When no
    /// backup holds the file the damage is reported as without this option. A read-only instance
    /// never heals. Null (default): no healing.
    /// </summary>
    public string? RecoverFromBackup { get; set; }

    /// <summary>Capacity of the block cache shared by all column families. Default 256 MiB.</summary>
    public long BlockCacheCapacity { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Keep values read from blob files (<see cref="ColumnFamilyOptions.BlobValueThreshold"/>)
    /// in the block cache, decoded, beside the tables' blocks: a value read again costs no read of
    /// its blob file and no decompression. They share <see cref="BlockCacheCapacity"/> and its
    /// eviction, charged by size; reads with <see cref="ReadOptions.FillCache"/> off find cached
    /// values but add none. Values of encrypted families are held decrypted exactly as long as
    /// their tables' decrypted blocks would be. Default off, as RocksDB's blob cache: on a workload
    /// of reads that mostly miss, inserting large values evicts the tables' blocks and costs more
    /// than it saves (BENCHMARKS.md, "Blob files"); turn it on where the same large values are read
    /// again. Off reads every blob value from its file.
    /// </summary>
    public bool CacheBlobValues { get; set; }

    /// <summary>Tables kept open at once (file descriptors). Default 512.</summary>
    public int MaxOpenFiles { get; set; } = 512;

    /// <summary>Number of levels of the LSM tree. Default 7.</summary>
    public int NumLevels { get; set; } = 7;

    /// <summary>Level-0 files that trigger a compaction into level 1. Default 4.</summary>
    public int Level0FileNumCompactionTrigger { get; set; } = 4;

    /// <summary>Level-0 files at which each write is delayed by 1 ms, letting compaction catch up. Default 20.</summary>
    public int Level0SlowdownWritesTrigger { get; set; } = 20;

    /// <summary>Level-0 files at which writes wait until compaction reduces the count. Default 36.</summary>
    public int Level0StopWritesTrigger { get; set; } = 36;

    /// <summary>Size target of level 1; level n's target is this × multiplier^(n-1). Default 256 MiB.</summary>
    public long MaxBytesForLevelBase { get; set; } = 256L * 1024 * 1024;

    /// <summary>Growth factor between level size targets. Default 10.</summary>
    public double MaxBytesForLevelMultiplier { get; set; } = 10;

    /// <summary>Size at which compaction output files are cut. Default 64 MiB.</summary>
    public long TargetFileSizeBase { get; set; } = 64L * 1024 * 1024;

    /// <summary>Estimated pending compaction bytes at which writes are slowed. Default 64 GiB.</summary>
    public long SoftPendingCompactionBytesLimit { get; set; } = 64L * 1024 * 1024 * 1024;

    /// <summary>Estimated pending compaction bytes at which writes stop until compaction catches up. Default 256 GiB.</summary>
    public long HardPendingCompactionBytesLimit { get; set; } = 256L * 1024 * 1024 * 1024;

    /// <summary>Background threads for compaction (flushes have their own thread). Default 1.</summary>
    public int MaxBackgroundCompactions { get; set; } = 1;

    /// <summary>
    /// Nice value (0–19) given to compaction threads on Linux, so that when the CPU is busy
    /// compaction yields to the application's own reads and writes (write stalls still hold
    /// writers back if it falls too far behind). Flushes keep normal priority. 0 leaves the
    /// priority alone; ignored on other systems. Default 10.
    /// </summary>
    public int CompactionThreadNice { get; set; } = 10;

    /// <summary>
    /// When several threads write with <see cref="WriteOptions.Sync"/>, the thread that leads a
    /// group commit waits, for at most about one fsync's duration, for as many writers as the
    /// previous synced group had before it calls fsync, so one fsync carries all of them instead of
    /// half (the rest would otherwise be waiting behind the fsync in progress). A single synced
    /// writer never waits. Default true; false fsyncs as soon as the leader is at the front.
    /// </summary>
    public bool GatherSyncedWriters { get; set; } = true;

    /// <summary>
    /// When the write-ahead logs exceed this size, the column families holding the oldest log
    /// are flushed so it can be deleted. 0 (default) means 4 × the sum of write buffers.
    /// </summary>
    public long MaxTotalWalSize { get; set; }

    /// <summary>The MANIFEST is rewritten as a snapshot once it grows past this. Default 64 MiB.</summary>
    public long MaxManifestFileSize { get; set; } = 64L * 1024 * 1024;

    /// <summary>Options of the default column family.</summary>
    public ColumnFamilyOptions DefaultColumnFamilyOptions { get; set; } = new();

    /// <summary>
    /// Options for existing column families, by name, applied when the database opens
    /// (column families not listed keep their stored options).
    /// </summary>
    public IDictionary<string, ColumnFamilyOptions> ColumnFamilyOptions { get; } = new Dictionary<string, ColumnFamilyOptions>(StringComparer.Ordinal);

    /// <summary>
    /// Encryption at rest: where the master key comes from. Set, the database keeps a key
    /// registry, seals its write-ahead logs and MANIFEST, and seals the tables of families with
    /// <see cref="ColumnFamilyOptions.Encrypted"/>. Once a database is encrypted it must always be
    /// opened with these options. Null (default): no encryption.
    /// </summary>
    public EncryptionOptions? Encryption { get; set; }

    /// <summary>
    /// Automatic backups: the database backs itself up in the background to a backup directory
    /// when data changed, archives its write-ahead logs for point-in-time restore, and applies a
    /// retention policy (<see cref="AutoBackupOptions"/>). Null (default): none.
    /// </summary>
    public AutoBackupOptions? AutoBackup { get; set; }

    /// <summary>The clock used for TTL. Tests inject a fake one. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>
    /// How often the database samples its sizes into its storage history (<c>STORAGE-HISTORY</c>,
    /// <see cref="LatticeDb.GetStorageHistory"/>, <c>lkv stats DB --history</c>); a sample is also
    /// taken at open and at close. Driven by <see cref="Clock"/>. Null or zero: no sampling.
    /// Default 10 minutes. A read-only open never samples.
    /// </summary>
    public TimeSpan? StorageSampleInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How often an open database rewrites <c>LIVE-STATS</c> in its directory, the read-only side
    /// channel <c>lkv stats DB --watch</c> reads (counters, sizes and numbers only; deleted at
    /// close). Driven by <see cref="Clock"/>; written only on the real file system. Null or zero:
    /// off. Default 1 second.
    /// </summary>
    public TimeSpan? LiveStatsInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After this long without a write, level-0 tables below
    /// <see cref="Level0FileNumCompactionTrigger"/> are compacted into level 1 in the background
    /// (the compaction threads, at their priority), so reads and seeks of a database at rest
    /// search no level-0 table however many the last flushes left. A write starts the wait again
    /// (the drain starts one to two delays after the last write); a family is drained only when
    /// its level 0 holds at least 1/<see cref="MaxBytesForLevelMultiplier"/> of the level-1 bytes
    /// it overlaps, which bounds the rewrite as leveled compaction does, and only when the drain
    /// rewrites at most a quarter of the bytes flushes and compactions wrote since the last drain
    /// (or since open), so drains add at most a quarter to the write amplification and a small
    /// database whose data sits in level 0 is not rewritten whole. With it on,
    /// <see cref="LatticeDb.WaitForCompactions"/> drains at once. Driven by <see cref="Clock"/>.
    /// Null or zero: off. Default 2 seconds.
    /// </summary>
    public TimeSpan? IdleCompactionDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The database's name in its metrics (the <c>db.namespace</c> tag of the <c>LatticeKV</c>
    /// meter, README "Metrics"). Null (default): the last segment of the database's directory.
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// Operations that take longer are kept in the slow-operation log
    /// (<see cref="LatticeDb.GetSlowOperations"/>) with their kind, family, duration and a key
    /// prefix (none for an encrypted family). Null (default): off, and nothing is timed for it.
    /// </summary>
    public TimeSpan? SlowOperationThreshold { get; set; }

    /// <summary>
    /// One operation in this many (per thread) is timed into the <c>lattice.operation.duration</c>
    /// histogram while a listener listens: its quantiles stay representative while the cost of
    /// timing and recording is paid by few operations (its counts are of the sample; exact
    /// counts are in <see cref="LatticeDb.GetStatistics"/>). A power of two; 1 times every
    /// operation. Default 16. Iterator moves (<c>next</c>, also counting <c>Prev</c>), which cost a
    /// fraction of a point read, are sampled per iterator 16 times more sparsely (every one when
    /// this is 1). The slow-operation log and latency alerts time every operation.
    /// </summary>
    public int LatencySampling { get; set; } = 16;

    /// <summary>The file system; tests and the crash tools substitute one that simulates crashes and faults.</summary>
    internal IFileSystem FileSystem { get; set; } = RealFileSystem.Instance;

    /// <summary>Test-only knobs (<see cref="Db.TestHooks"/>); null in production.</summary>
    internal Db.TestHooks? TestHooks { get; set; }

    /// <summary>
    /// Custom index extractors (<see cref="LatticeKV.IndexExtractors.Custom"/>) by name: an index
    /// using one is stored with its name only, so it must be given here at every open, or writes
    /// to the indexed family are refused.
    /// </summary>
    public IDictionary<string, IndexExtractor> IndexExtractors { get; } = new Dictionary<string, IndexExtractor>(StringComparer.Ordinal);

    /// <summary>
    /// How long the change log of replicated families (<see cref="ColumnFamilyOptions.Replicated"/>)
    /// keeps a change: older ones are dropped in the background, and reading from a cursor before
    /// them throws <see cref="ChangeLogTruncatedException"/>. Default 7 days.
    /// </summary>
    public TimeSpan ReplicationLogRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Schema migration steps, in order (FORMAT.md §18.3, README "Schema versions and
    /// migrations"): <see cref="LatticeDb.Open"/> runs those whose family's stored version is
    /// older, after recovery and before it returns. Each family's steps must chain (each starts
    /// where the previous ended); the highest version they reach is what this program knows, and
    /// a database with a newer one throws <see cref="SchemaVersionException"/> before anything
    /// is written. Families no step names are not checked.
    /// </summary>
    public IList<Migration> Migrations { get; } = new List<Migration>();

    /// <summary>Called on the opening thread after each committed batch of a migration (progress reports, tests).</summary>
    public Action<MigrationProgress>? OnMigrationProgress { get; set; }

    /// <summary>
    /// This database's identity for sync (<see cref="LatticeKV.SyncIdentity"/>, made with
    /// <c>lkv sync-identity</c>): the certificate it presents to peers, whose peer ids they trust.
    /// Required by <c>StartSyncServer</c>, <c>SyncWith</c> and <c>StartSyncAgent</c>.
    /// </summary>
    public SyncIdentity? SyncIdentity { get; set; }

    /// <summary>
    /// A family created with a built-in merge operator (<see cref="MergeOperators.ByName"/>) opens
    /// with it when the options give none (internal: lkv's sync commands, which must apply merges).
    /// </summary>
    internal bool OpenWithBuiltInMergeOperators { get; set; }

    /// <summary>How stale index entries are removed (internal: the benchmark measures both).</summary>
    internal Indexing.IndexMaintenance IndexMaintenance { get; set; }

    /// <summary>Record the block cache's hot set and warm it after open (README, "Preload, readahead and prefetch"). Default on.</summary>
    public PreloadOptions Preload { get; set; } = new();

    /// <summary>
    /// The most bytes an iterator moving sequentially through a table reads ahead of itself, in
    /// the background, into the block cache (the window starts at two blocks and doubles). 0 turns
    /// readahead off. Default 0 (off): on fast local disks the kernel's own readahead already
    /// keeps a scan fed, and loading blocks on a second thread raced the scan and lost (BENCHMARKS.md,
    /// "Observability and the cache that anticipates"); turn it on for storage with high latency.
    /// </summary>
    public long ReadaheadMaxBytes { get; set; }

    /// <summary>Learned prefetch of the key prefixes that usually follow the one read; null (default) is off.</summary>
    public PrefetchOptions? Prefetch { get; set; }
    /// <summary>
    /// Receive the database's events (flushes, compactions, stalls, errors, corruption, recovery,
    /// backups, sync rounds, alerts) on a background thread; see <see cref="IEventListener"/>.
    /// </summary>
    public IList<IEventListener> EventListeners { get; } = new List<IEventListener>();

    /// <summary>
    /// Where the database logs its events (Microsoft.Extensions.Logging): errors for background
    /// errors and corruption, warnings for stalls, recovery actions and alerts, information for
    /// flushes, compactions and backups; each with an <see cref="Microsoft.Extensions.Logging.EventId"/>
    /// of its <see cref="EventKind"/>. Null (default): nothing is logged.
    /// </summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>
    /// Size limit of the event file (<c>EVENTS</c> and its older half <c>EVENTS.old</c> in the
    /// database directory; FORMAT.md "EVENTS"; <c>lkv events</c>). 0 turns the file off; a
    /// read-only open never writes it. Default 4 MiB.
    /// </summary>
    public long EventLogMaxBytes { get; set; } = 4L << 20;

    /// <summary>Alert rules evaluated on a timer of <see cref="Clock"/> (<see cref="AlertOptions"/>). Null (default): none.</summary>
    public AlertOptions? Alerts { get; set; }

    /// <summary>A shallow copy of these options.</summary>
    public DbOptions Clone()
    {
        var copy = (DbOptions)MemberwiseClone();
        copy.DefaultColumnFamilyOptions = DefaultColumnFamilyOptions.Clone();
        return copy;
    }

    internal void Validate()
    {
        if (Comparator is null) throw new InvalidArgumentException("Comparator must not be null.", nameof(Comparator));
        if (WriteBufferSize is < 4096 or > 4L << 30) throw new InvalidArgumentException("WriteBufferSize must be between 4 KiB and 4 GiB.", nameof(WriteBufferSize));
        if (MaxWriteBufferNumber < 2) throw new InvalidArgumentException("MaxWriteBufferNumber must be at least 2.", nameof(MaxWriteBufferNumber));
        if (NumLevels is < 2 or > 20) throw new InvalidArgumentException("NumLevels must be between 2 and 20.", nameof(NumLevels));
        if (Level0FileNumCompactionTrigger < 1) throw new InvalidArgumentException("Level0FileNumCompactionTrigger must be at least 1.", nameof(Level0FileNumCompactionTrigger));
        if (Level0SlowdownWritesTrigger < Level0FileNumCompactionTrigger)
            throw new InvalidArgumentException("Level0SlowdownWritesTrigger must be at least Level0FileNumCompactionTrigger.", nameof(Level0SlowdownWritesTrigger));
        if (Level0StopWritesTrigger < Level0SlowdownWritesTrigger)
            throw new InvalidArgumentException("Level0StopWritesTrigger must be at least Level0SlowdownWritesTrigger.", nameof(Level0StopWritesTrigger));
        if (MaxBytesForLevelBase < 4096) throw new InvalidArgumentException("MaxBytesForLevelBase must be at least 4096 bytes.", nameof(MaxBytesForLevelBase));
        if (MaxBytesForLevelMultiplier < 2) throw new InvalidArgumentException("MaxBytesForLevelMultiplier must be at least 2.", nameof(MaxBytesForLevelMultiplier));
        if (TargetFileSizeBase < 4096) throw new InvalidArgumentException("TargetFileSizeBase must be at least 4096 bytes.", nameof(TargetFileSizeBase));
        if (BlockCacheCapacity < 0) throw new InvalidArgumentException("BlockCacheCapacity must not be negative.", nameof(BlockCacheCapacity));
        if (MaxOpenFiles < 16) throw new InvalidArgumentException("MaxOpenFiles must be at least 16.", nameof(MaxOpenFiles));
        if (CompactionThreadNice is < 0 or > 19) throw new InvalidArgumentException("CompactionThreadNice must be between 0 and 19.", nameof(CompactionThreadNice));
        if (MaxBackgroundCompactions is < 1 or > 64) throw new InvalidArgumentException("MaxBackgroundCompactions must be between 1 and 64.", nameof(MaxBackgroundCompactions));
        if (!Enum.IsDefined(StartupCheck)) throw new InvalidArgumentException($"Unknown StartupCheck {StartupCheck}.", nameof(StartupCheck));
        if (RecoverFromBackup is not null && string.IsNullOrWhiteSpace(RecoverFromBackup))
            throw new InvalidArgumentException("RecoverFromBackup must be a directory, or null for no healing.", nameof(RecoverFromBackup));
        if (!Enum.IsDefined(WalRecoveryMode)) throw new InvalidArgumentException($"Unknown WalRecoveryMode {WalRecoveryMode}.", nameof(WalRecoveryMode));
        if (Clock is null) throw new InvalidArgumentException("Clock must not be null.", nameof(Clock));
        if (StorageSampleInterval < TimeSpan.Zero) throw new InvalidArgumentException("StorageSampleInterval must not be negative.", nameof(StorageSampleInterval));
        if (LiveStatsInterval < TimeSpan.Zero) throw new InvalidArgumentException("LiveStatsInterval must not be negative.", nameof(LiveStatsInterval));
        if (IdleCompactionDelay < TimeSpan.Zero) throw new InvalidArgumentException("IdleCompactionDelay must not be negative (null or zero: off).", nameof(IdleCompactionDelay));
        if (Name is not null && string.IsNullOrWhiteSpace(Name)) throw new InvalidArgumentException("Name must not be blank (null: the directory's name).", nameof(Name));
        if (LatencySampling < 1 || !System.Numerics.BitOperations.IsPow2(LatencySampling))
            throw new InvalidArgumentException("LatencySampling must be a power of two, at least 1.", nameof(LatencySampling));
        if (SlowOperationThreshold is { } slow && slow <= TimeSpan.Zero)
            throw new InvalidArgumentException("SlowOperationThreshold must be positive (null: off).", nameof(SlowOperationThreshold));
        if (ReplicationLogRetention <= TimeSpan.Zero) throw new InvalidArgumentException("ReplicationLogRetention must be positive.", nameof(ReplicationLogRetention));
        if (DefaultColumnFamilyOptions is null) throw new InvalidArgumentException("DefaultColumnFamilyOptions must not be null.", nameof(DefaultColumnFamilyOptions));
        DefaultColumnFamilyOptions.Validate("default");
        foreach (var (name, extractor) in IndexExtractors)
            if (extractor?.CustomName != name) throw new InvalidArgumentException($"IndexExtractors[\"{name}\"] must be IndexExtractors.Custom(\"{name}\", ...).", nameof(IndexExtractors));
        foreach (var (name, cf) in ColumnFamilyOptions) cf.Validate(name);
        Encryption?.Validate();
        AutoBackup = AutoBackup?.Validated();
        Preload = (Preload ?? throw new InvalidArgumentException("Preload must not be null (set Enabled = false to turn it off).", nameof(Preload))).Validated();
        if (ReadaheadMaxBytes is < 0 or > 1L << 30) throw new InvalidArgumentException("ReadaheadMaxBytes must be between 0 and 1 GiB.", nameof(ReadaheadMaxBytes));
        Prefetch = Prefetch?.Validated();
        if (EventLogMaxBytes < 0) throw new InvalidArgumentException("EventLogMaxBytes must not be negative (0 turns the event file off).", nameof(EventLogMaxBytes));
        if (EventListeners.Any(l => l is null)) throw new InvalidArgumentException("EventListeners must not hold null.", nameof(EventListeners));
        Alerts?.Validate();
        LatticeKV.Migrations.MigrationPlan.Validate([.. Migrations]);
        if (Encryption is null && (DefaultColumnFamilyOptions.Encrypted || ColumnFamilyOptions.Values.Any(o => o.Encrypted)))
            throw new InvalidArgumentException("A column family is Encrypted but DbOptions.Encryption is not set: the engine needs a master key.", nameof(Encryption));
    }

    internal LsmOptions ToLsmOptions() => new(NumLevels, Level0FileNumCompactionTrigger, Level0SlowdownWritesTrigger, Level0StopWritesTrigger,
        MaxBytesForLevelBase, MaxBytesForLevelMultiplier, TargetFileSizeBase, TargetFileSizeBase * 25,
        SoftPendingCompactionBytesLimit, HardPendingCompactionBytesLimit);
}
