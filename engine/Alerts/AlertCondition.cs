namespace LatticeKV;

/// <summary>What an <see cref="AlertRule"/> watches, and the unit of its thresholds.</summary>
public enum AlertCondition
{
    /// <summary>The 99th percentile latency of one <see cref="OperationKind"/> over the rule's window, in seconds; fires above.</summary>
    LatencyP99,
    /// <summary>Time writes spent stalled over the rule's window, as a fraction of it (0 to 1); fires above.</summary>
    StallFraction,
    /// <summary>Block cache hits / lookups over the rule's window (0 to 1); fires below.</summary>
    CacheHitRatio,
    /// <summary>Free bytes on the database's disk; fires below.</summary>
    FreeDiskBytes,
    /// <summary>Free fraction of the database's disk (0 to 1); fires below.</summary>
    FreeDiskFraction,
    /// <summary>Growth of the database's size, in bytes per day; fires above.</summary>
    GrowthRate,
    /// <summary>1 while a background error stops writes, else 0; fires at 1.</summary>
    BackgroundError,
    /// <summary>Corruptions detected over the rule's window; fires at 1 or more.</summary>
    Corruption,
    /// <summary>The largest sync lag of any peer, in seconds; fires above.</summary>
    SyncLag,
}
