using LatticeKV.Cache;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Sst;

namespace LatticeKV.Events;

/// <summary>
/// A database's own <see cref="IAlertSignals"/>: stall time and corruptions from its counters,
/// its block cache, its background error, its disk and its sync peers. Latency quantiles and
/// the growth rate come from other parts of the engine, plugged in through
/// <see cref="LatencyQuantile"/> and <see cref="GrowthRate"/>; unplugged, those rules measure nothing.
/// </summary>
internal sealed class DbAlertSignals(DbStatistics stats, BlockCache<Block> cache, Func<bool> backgroundError, string path, bool realDisk,
    Func<TimeSpan?> syncLag) : IAlertSignals
{
    /// <summary>The metrics part's latency quantile (kind, quantile, window), or null.</summary>
    public Func<OperationKind, double, TimeSpan, TimeSpan?>? LatencyQuantile { get; set; }

    /// <summary>The storage-growth part's growth rate in bytes per day, or null.</summary>
    public Func<double?>? GrowthRate { get; set; }

    public TimeSpan StallTime => stats.StallTime;

    public long CacheHits => cache.Hits;

    public long CacheMisses => cache.Misses;

    public long Corruptions => stats.Corruptions;

    public bool BackgroundErrorActive => backgroundError();

    public (long Free, long Total)? Disk() => realDisk && DiskSpace.TryGet(path, out long free, out long total) ? (free, total) : null;

    public TimeSpan? SyncLag() => syncLag();

    public TimeSpan? Latency(OperationKind kind, double quantile, TimeSpan window) => LatencyQuantile?.Invoke(kind, quantile, window);

    public double? GrowthBytesPerDay() => GrowthRate?.Invoke();
}
