namespace LatticeKV.Events;

/// <summary>
/// What alert rules measure (<see cref="AlertMonitor"/>). Counters are cumulative since open: the
/// monitor takes differences over each rule's window. Null means "cannot be measured now": the
/// rule neither fires nor clears. Called on the monitor's timer thread, one call at a time.
/// </summary>
internal interface IAlertSignals
{
    /// <summary>Time writes spent stalled or slowed since open.</summary>
    TimeSpan StallTime { get; }

    /// <summary>Block cache hits since open.</summary>
    long CacheHits { get; }

    /// <summary>Block cache misses since open.</summary>
    long CacheMisses { get; }

    /// <summary>Corruptions detected since open.</summary>
    long Corruptions { get; }

    /// <summary>True while a background error stops writes.</summary>
    bool BackgroundErrorActive { get; }

    /// <summary>Free and total bytes of the database's disk.</summary>
    (long Free, long Total)? Disk();

    /// <summary>The largest lag of any sync peer.</summary>
    TimeSpan? SyncLag();

    /// <summary>The <paramref name="quantile"/> latency of <paramref name="kind"/> over the last <paramref name="window"/>.</summary>
    TimeSpan? Latency(OperationKind kind, double quantile, TimeSpan window);

    /// <summary>The database's growth in bytes per day.</summary>
    double? GrowthBytesPerDay();
}
