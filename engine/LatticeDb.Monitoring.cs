using System.Globalization;
using LatticeKV.Io;
using LatticeKV.Monitoring;

namespace LatticeKV;

// Storage growth and the live statistics side channel (engine/Monitoring).
public sealed partial class LatticeDb
{
    // Set once at the end of open (null for a read-only open); thread-safe on its own.
    private StorageMonitor? _monitor;

    // Guarded by itself: the live statistics contributors other parts register.
    private readonly List<Func<IReadOnlyDictionary<string, double>>> _liveStatsContributors = [];

    /// <summary>Numeric per-family properties published in <c>LIVE-STATS</c>.</summary>
    private static readonly string[] LiveProperties =
    [
        "lattice.total-sst-files-size", "lattice.estimate-pending-compaction-bytes", "lattice.cur-size-all-mem-tables",
        "lattice.num-immutable-mem-table", "lattice.estimate-num-keys", "lattice.num-snapshots",
    ];

    /// <summary>
    /// The database's storage samples (<see cref="DbOptions.StorageSampleInterval"/>), oldest
    /// first: at most a thousand or so, older ones thinned. A read-only instance returns what the
    /// directory's history holds. See also <see cref="StorageHistory.Read"/>, which needs no open database.
    /// </summary>
    public IReadOnlyList<StorageSample> GetStorageHistory()
    {
        ThrowIfClosed();
        if (_monitor is { } m) return m.History;
        try { return StorageHistoryFile.Read(_fs, _path); }
        catch (CorruptionException) { return []; }
    }

    /// <summary>
    /// How fast the database grows over the samples of the last <paramref name="window"/>
    /// (default <see cref="StorageGrowth.DefaultWindow"/>) and when the disk fills at that rate;
    /// null when fewer than two samples fall in the window.
    /// </summary>
    public StorageGrowth? GetStorageGrowth(TimeSpan? window = null) => StorageGrowth.Compute(GetStorageHistory(), window);

    /// <summary>
    /// The growth rate in bytes per day for alerts (a growth-rate threshold): null while there is
    /// not enough history. Alerts take it as their pluggable growth-rate delegate.
    /// </summary>
    internal Func<double?> GrowthRateProvider => () => _closed ? null : GetStorageGrowth()?.BytesPerDay;

    /// <summary>
    /// Adds values to every <c>LIVE-STATS</c> snapshot from now on (the metrics' latency quantiles,
    /// the active alerts): named numbers, never keys or values. Called on the timer's thread; must be quick.
    /// </summary>
    internal void AddLiveStatsContributor(Func<IReadOnlyDictionary<string, double>> contributor)
    {
        ArgumentNullException.ThrowIfNull(contributor);
        lock (_liveStatsContributors) _liveStatsContributors.Add(contributor);
    }

    /// <summary>Takes a storage sample now (tests; the timers call it otherwise).</summary>
    internal void SampleStorageNow() => _monitor?.SampleNow();

    /// <summary>Writes <c>LIVE-STATS</c> now (tests; the timer calls it otherwise).</summary>
    internal void PublishLiveStatsNow() => _monitor?.PublishNow();

    /// <summary>Failed writes of the storage history or live statistics since open.</summary>
    internal long MonitoringWriteFailures => _monitor?.WriteFailures ?? 0;

    /// <summary>Loads the history and starts sampling and publishing; the last step of a writable open.</summary>
    private void StartStorageMonitor()
    {
        bool live = _fs is RealFileSystem; // the side channel is for another process: only a real directory has one
        _monitor = StorageMonitor.Start(_fs, _path, _options.Clock, _options.StorageSampleInterval, _options.LiveStatsInterval,
            TakeStorageSample, live ? TakeLiveStats : null, writable: !_readOnly);
    }

    /// <summary>Stops the timers and takes the sample at close; the first step of closing.</summary>
    private void StopStorageMonitor()
    {
        if (_closed) return;
        _monitor?.Stop();
    }

    private StorageSample TakeStorageSample()
    {
        var levels = new List<StorageLevelSize>();
        foreach (var cfd in _columnFamilies.Values.Where(c => !c.Dropped).OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var sv = cfd.AcquireSuperVersion();
            try
            {
                var v = sv.Version;
                for (int level = 0; level < v.NumLevels; level++)
                    if (v.NumFiles(level) > 0) levels.Add(new StorageLevelSize(cfd.Name, level, v.LevelBytes(level), v.NumFiles(level)));
            }
            finally
            {
                sv.Release();
            }
        }
        long logs = 0, other = 0;
        foreach (var name in _fs.ListFiles(_path))
        {
            long size;
            try { size = _fs.GetFileSize(System.IO.Path.Combine(_path, name)); }
            catch (Exception ex) when (ex is FileNotFoundException or LatticeIOException) { continue; } // deleted while listing
            switch (FileNames.Parse(name, out _))
            {
                case DbFileKind.Log: logs += size; break;
                case DbFileKind.Table: break; // counted per level from the live version
                default: other += size; break;
            }
        }
        var disk = VolumeSpace.Of(_fs, _path);
        long? backup = _options.AutoBackup is { Storage: null, Directory: { } dir } ? VolumeSpace.DirectoryBytes(_fs, dir) : null;
        return new StorageSample
        {
            Time = _options.Clock.GetUtcNow(),
            Levels = levels,
            LogBytes = logs,
            OtherBytes = other,
            BackupBytes = backup,
            DiskFreeBytes = disk?.Free,
            DiskTotalBytes = disk?.Total,
        };
    }

    private LiveStats TakeLiveStats()
    {
        var stats = new LiveStats
        {
            TimeMs = _options.Clock.GetUtcNow().ToUnixTimeMilliseconds(),
            IntervalMs = (long)(_options.LiveStatsInterval ?? TimeSpan.Zero).TotalMilliseconds,
            ProcessId = Environment.ProcessId,
            Counters = new Dictionary<string, long>(GetStatistics(), StringComparer.Ordinal),
        };
        foreach (var cf in ColumnFamilies)
        {
            var props = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var p in LiveProperties)
                if (long.TryParse(GetProperty(cf, p), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) props[p] = v;
            stats.Families[cf.Name] = props;
        }
        Func<IReadOnlyDictionary<string, double>>[] contributors;
        lock (_liveStatsContributors) contributors = [.. _liveStatsContributors];
        foreach (var c in contributors)
            foreach (var (k, v) in c())
                if (double.IsFinite(v)) stats.Extra[k] = v;
        return stats;
    }
}
