using LatticeKV.Manifest;

namespace LatticeKV.Db;

/// <summary>
/// What the write path needs from the database it writes for: the column families it inserts
/// into, the mutex that guards their memtable switches, the background error that stops writes,
/// file numbers for new logs, and the compaction debt that stalls writers.
/// </summary>
internal interface IWriteHost
{
    /// <summary>The database mutex (see <see cref="LatticeDb"/>'s lock order).</summary>
    object Mutex { get; }

    /// <summary>Column families by id; replaced whole under the mutex, read without it.</summary>
    Dictionary<uint, ColumnFamilyData> ColumnFamilies { get; }

    /// <summary>The database is closing or closed.</summary>
    bool IsClosed { get; }

    /// <summary>The error that stopped writes, or null (read without the mutex; set under it).</summary>
    Exception? BackgroundError { get; }

    /// <summary>Stops writes: hard until reopen, or soft (a full disk) until background work succeeds again.</summary>
    void SetBackgroundError(Exception error, bool soft);

    /// <summary>Where write stalls are reported.</summary>
    LatticeKV.Events.EventDispatcher Events { get; }

    /// <summary>A new file number (for a log).</summary>
    long NewFileNumber();

    /// <summary>Estimated bytes compaction must rewrite to bring <paramref name="version"/> within its targets.</summary>
    long PendingCompactionBytes(LsmVersion version);
}
