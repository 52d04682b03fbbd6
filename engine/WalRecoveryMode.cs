namespace LatticeKV;

/// <summary>
/// What <see cref="LatticeDb.Open"/> does with damage in the write-ahead log, as in RocksDB.
/// A "tail" is damage with no intact record after it in the same log file: the signature of
/// a write cut short by a crash.
/// </summary>
public enum WalRecoveryMode
{
    /// <summary>
    /// Default. A damaged or incomplete tail is dropped (those writes were never
    /// acknowledged as synced); damage followed by intact records throws <see cref="CorruptionException"/>.
    /// </summary>
    TolerateCorruptedTailRecords = 0,

    /// <summary>Any damage, even an incomplete last record, throws <see cref="CorruptionException"/>.</summary>
    AbsoluteConsistency = 1,

    /// <summary>
    /// Replay stops at the first damage of any kind; everything after it, in that log and in
    /// later logs, is discarded. The database opens at the last consistent point in time.
    /// </summary>
    PointInTimeRecovery = 2,

    /// <summary>Salvage mode: damaged records are skipped and every intact record is replayed.</summary>
    SkipAnyCorruptedRecords = 3,
}
