namespace LatticeKV.Bench.Engines;

/// <summary>
/// LatticeKV with its defaults (64 MiB write buffer, Snappy, 10 bits/key bloom, 4 KiB blocks, WAL
/// on; 2 KiB blocks as "latticekv-2k"); with <c>encrypted</c>, an encrypted database (a raw master key) whose default family is
/// encrypted: sealed logs, MANIFEST and table blocks; with <c>autoBackupInterval</c>, automatic
/// backups (<see cref="DbOptions.AutoBackup"/>) at that interval into <see cref="BackupDirectoryOf"/>,
/// logs archived, the last three backups kept.
/// </summary>
public sealed class LatticeEngine : IEngine
{
    // Fixed so that a database kept between runs (--fill-kept, --use-kept) opens again.
    private static readonly byte[] s_benchKey = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static readonly WriteOptions Synced = new() { Sync = true };
    private readonly LatticeDb _db;
    private readonly WriteBatch _batch = new();
    private readonly ReadApi _reads;

    // largeValueThreshold: the family's ColumnFamilyOptions.LargeValueCompressionThreshold; null
    // keeps the default, 0 stores large values with Snappy ("latticekv-snappy").
    // blobValueThreshold: the family's ColumnFamilyOptions.BlobValueThreshold; null keeps the
    // default, 0 keeps every value in the tables, above 0 names the variant "latticekv-blob".
    public LatticeEngine(string path, EngineSettings settings, bool encrypted = false, TimeSpan? autoBackupInterval = null, int? largeValueThreshold = null,
        int? blobValueThreshold = null, bool cacheBlobValues = false, int? backupNice = null, long backupBytesPerSecond = 0, bool flushesAsAutoBackupWarmUp = false, int? blockSize = null)
    {
        _reads = settings.Reads;
        _flushesAsAutoBackupWarmUp = flushesAsAutoBackupWarmUp;
        _db = LatticeDb.Open(path, new DbOptions
        {
            BlockCacheCapacity = settings.BlockCacheBytes,
            WriteBufferSize = settings.WriteBufferBytes,
            CompactionThreadNice = settings.BackgroundNice,
            CacheBlobValues = cacheBlobValues,
            Encryption = encrypted ? EncryptionOptions.FromKey(s_benchKey) : null,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions
            {
                Encrypted = encrypted,
                BlockSize = blockSize ?? ColumnFamilyOptions.DefaultBlockSize,
                LargeValueCompressionThreshold = largeValueThreshold ?? ColumnFamilyOptions.DefaultLargeValueCompressionThreshold,
                BlobValueThreshold = blobValueThreshold ?? ColumnFamilyOptions.DefaultBlobValueThreshold,
            },
            AutoBackup = autoBackupInterval is { } interval
                ? new AutoBackupOptions
                {
                    Directory = BackupDirectoryOf(path), Interval = interval, ArchiveLogs = true, Retention = BackupRetention.Last(3),
                    ThreadNice = backupNice, BytesPerSecond = backupBytesPerSecond,
                }
                : null,
        });
        Runner.PhasePeaks.Attach(_db);
        Runner.PeakSampler.Attach(_db);
        Name = blockSize is { } size ? $"latticekv-{size >> 10}k" : encrypted ? "latticekv-enc" : autoBackupInterval is not null ? "latticekv-autobackup" : largeValueThreshold == 0 ? "latticekv-snappy"
            : blobValueThreshold > 0 ? (cacheBlobValues ? "latticekv-blob-cache" : "latticekv-blob") : "latticekv";
        string variant = encrypted ? "encrypted (AES-256-GCM: sealed log, MANIFEST and table blocks), "
            : autoBackupInterval is { } i ? $"automatic backups every {i.TotalSeconds:0.###} s to a directory on the same disk (logs archived, the last 3 kept"
                + (backupNice is { } nice ? $", backup thread at nice {nice}" : "") + (backupBytesPerSecond > 0 ? $", at most {backupBytesPerSecond >> 20} MiB/s" : "") + "), " : "";
        int threshold = largeValueThreshold ?? ColumnFamilyOptions.DefaultLargeValueCompressionThreshold;
        Settings = variant + $"write buffer {settings.WriteBufferBytes >> 20} MiB, Snappy{(threshold > 0 ? $" (zstd level 3 for blocks with values of {threshold} bytes or more)" : " only")}, bloom 10 bits/key, {(blockSize ?? ColumnFamilyOptions.DefaultBlockSize) >> 10} KiB blocks, block cache {settings.BlockCacheBytes >> 20} MiB, {BlobSetting(blobValueThreshold ?? ColumnFamilyOptions.DefaultBlobValueThreshold)}{(cacheBlobValues ? " (blob value cache on)" : "")}, WAL on, compaction thread at nice {settings.BackgroundNice}, reads: {(_reads == ReadApi.Array ? "Get (byte[])" : "TryGet into a span")}";
    }

    // Without automatic backups: the warm-up still writes and flushes as the automatic-backup engine's does (compare --autobackup).
    private readonly bool _flushesAsAutoBackupWarmUp;

    /// <summary>
    /// With automatic backups on: enough backups, flushes (each retires a log, which is archived)
    /// and retention purges, between small writes, for the JIT's tiering to optimize the backup
    /// path (a method is promoted after some tens of calls). Without them, in a <c>compare
    /// --autobackup</c>, the same writes and flushes without the backups, so that neither engine's
    /// measured fill is the first to run its flush path that often.
    /// </summary>
    public void WarmUpBackgroundWork()
    {
        bool backups = _db.AutoBackupService is not null;
        if (!backups && !_flushesAsAutoBackupWarmUp) return;
        Span<byte> key = stackalloc byte[24];
        var value = new byte[100];
        for (int round = 0; round < 60; round++)
        {
            for (int i = 0; i < 100; i++)
            {
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key, -1 - round);
                System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(key[8..], i);
                _db.Put(key, value);
            }
            if (backups) _db.RunAutoBackupNow();
            if (round % 4 == 3) _db.Flush();
        }
    }

    private static string BlobSetting(int threshold) => threshold > 0 ? $"blob files for values of {threshold} bytes or more" : "no blob files";

    /// <summary>
    /// Where the automatic backups of the database at <paramref name="path"/> go: beside it, so
    /// they live as long as it does (a database reopened later finds its backups, as in use).
    /// </summary>
    public static string BackupDirectoryOf(string path) => Path.TrimEndingDirectorySeparator(path) + ".backups";

    public string Name { get; }

    public string Settings { get; }

    public LatticeDb Db => _db;

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool sync) => _db.Put(key, value, sync ? Synced : null);

    public void PutBatch(IReadOnlyList<(byte[] Key, byte[] Value)> pairs, bool sync)
    {
        lock (_batch)
        {
            _batch.Clear();
            foreach (var (k, v) in pairs) _batch.Put(k, v);
            _db.Write(_batch, sync ? Synced : null);
        }
    }

    public void Delete(ReadOnlySpan<byte> key, bool sync) => _db.Delete(key, sync ? Synced : null);

    public int Get(ReadOnlySpan<byte> key, Span<byte> buffer)
    {
        if (_reads == ReadApi.LeastAllocating) return _db.TryGet(key, buffer, out int length) ? length : -1;
        var value = _db.Get(key);
        if (value is null) return -1;
        value.CopyTo(buffer);
        return value.Length;
    }

    public int Scan(ReadOnlySpan<byte> key, int count)
    {
        using var it = _db.NewIterator();
        int n = 0;
        // Each entry's value is read, as the other adapters read theirs.
        for (it.Seek(key); it.Valid && n < count; it.Next())
        {
            _ = it.Value;
            n++;
        }
        return n;
    }

    public void Flush() => _db.Flush();

    public void CompactAll() => _db.CompactRange();

    public void WaitForBackgroundWork() => _db.WaitForCompactions();

    public string Shape => LevelShape.Describe(level => _db.GetProperty($"lattice.num-files-at-level{level}"));

    /// <summary>
    /// The automatic backups' counters, and the engine's own that tell whether a workload waited on
    /// background work: stalls and their time, flushes and compactions (an encrypted family's
    /// flushes and compactions also open and seal every block, so they may fall behind sooner).
    /// </summary>
    public IReadOnlyDictionary<string, long> ActivityCounters
    {
        get
        {
            var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var (name, value) in _db.AutoBackupService?.Counters ?? IEngine.NoActivity) counters[name] = value;
            var stats = _db.GetStatistics();
            foreach (string name in s_backgroundCounters) counters[name] = stats.GetValueOrDefault(name);
            // What a workload cost the process and each of its threads (CPU, kernel time, faults), and
            // what the machine did meanwhile (steal, interrupts): a slow round says which it was.
            foreach (var (name, value) in Runner.ProcessStats.IoCounters()) counters[name] = value;
            var threads = Runner.ProcessStats.ThreadCpuMsByName();
            counters["proc.cpu-ms"] = threads.Values.Sum();
            foreach (var (name, ms) in threads) counters["thread." + name.Replace(' ', '-') + ".cpu-ms"] = ms;
            foreach (var (name, (sysMs, faults)) in Runner.ProcessStats.ThreadKernelStatsByName())
            {
                counters["thread." + name.Replace(' ', '-') + ".sys-ms"] = sysMs;
                counters["thread." + name.Replace(' ', '-') + ".minflt"] = faults;
            }
            foreach (var (name, value) in Runner.ProcessStats.MachineCounters()) counters[name] = value;
            return counters;
        }
    }

    private static readonly string[] s_backgroundCounters = ["write.stalls", "write.stall.micros", "flush.count", "compaction.count"];

    public void Dispose() => _db.Dispose();
}
