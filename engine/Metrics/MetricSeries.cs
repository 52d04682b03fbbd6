namespace LatticeKV.Metrics;

/// <summary>The values a database reports when the meter collects its observable instruments (<see cref="IMetricsSource"/>).</summary>
internal enum MetricSeries
{
    BytesWritten,
    BytesRead,
    BlockCacheHits,
    BlockCacheMisses,
    FilterUseful,
    Stalls,
    StallTime,
    Flushes,
    Compactions,
    LogSyncs,
    BackgroundErrors,
    Backups,
    BackupLastBytes,
    MemtableBytes,
    PendingCompactionBytes,
    LiveBytes,
    SyncLag,
    AlertsFired,
    AlertsActive,
    Events,
    Corruptions,
    AnticipatedBlocks,
    AnticipatedBlocksUsed,
    AnticipatedBlocksWasted,
}
