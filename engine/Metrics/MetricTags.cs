namespace LatticeKV.Metrics;

/// <summary>
/// The tag keys of the <c>LatticeKV</c> meter. Database, family and operation follow
/// OpenTelemetry's database conventions (<c>db.namespace</c>, <c>db.collection.name</c>,
/// <c>db.operation.name</c>); what those do not cover is prefixed <c>lattice.</c>.
/// Renaming a key breaks dashboards: treat these as a published contract.
/// </summary>
internal static class MetricTags
{
    /// <summary>The database's name (<see cref="DbOptions.Name"/>).</summary>
    public const string Database = "db.namespace";

    /// <summary>The column family's name.</summary>
    public const string ColumnFamily = "db.collection.name";

    /// <summary>The operation timed (an <see cref="OperationKind"/> in snake case).</summary>
    public const string Operation = "db.operation.name";

    /// <summary>The level of the tree (live size per level).</summary>
    public const string Level = "lattice.level";

    /// <summary>What bytes were read or written for: user, log, flush, compaction, blob.</summary>
    public const string IoKind = "lattice.io.kind";

    /// <summary>What became of an automatic backup: taken, skipped (nothing changed), failed.</summary>
    public const string BackupResult = "lattice.backup.result";

    /// <summary>The peer a sync lag is measured against (its replica id).</summary>
    public const string Peer = "lattice.sync.peer";

    /// <summary>What became of events: raised, dropped (the queue was full), listener_failed.</summary>
    public const string EventOutcome = "lattice.event.outcome";

    /// <summary>Why a block was loaded ahead of demand: preload, readahead, prefetch.</summary>
    public const string CacheOrigin = "lattice.cache.origin";
}
