namespace LatticeKV.Bench.Engines;

/// <summary>How a value is read back, the same way for every engine in a run.</summary>
public enum ReadApi
{
    /// <summary>
    /// The least-allocating read each binding offers: LatticeKV's <c>TryGet</c> into a span,
    /// RocksDB's pinned get (<c>rocksdb_get_pinned_v2</c>, value copied out of the pinned block),
    /// ZoneTree's <c>TryGet</c> with a reused key array (it returns the stored value array),
    /// SQLite's prepared statement.
    /// </summary>
    LeastAllocating,

    /// <summary>Each binding's plain <c>byte[] Get(key)</c>: a new array per value found.</summary>
    Array,
}

/// <summary>The budgets and settings every engine of a run gets alike.</summary>
/// <param name="BlockCacheBytes">Block (or page) cache capacity.</param>
/// <param name="WriteBufferBytes">Memtable size (the engines with one).</param>
/// <param name="BackgroundNice">Nice value of the compaction threads: LatticeKV's own, RocksDB's low-priority pool (0 leaves both at the process's priority).</param>
/// <param name="Reads">How reads fetch values.</param>
public sealed record EngineSettings(long BlockCacheBytes, long WriteBufferBytes, int BackgroundNice, ReadApi Reads);
