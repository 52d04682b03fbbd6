namespace LatticeKV.Indexing;

/// <summary>
/// How entries an overwrite or delete leaves behind are removed. Either way a query re-checks
/// every entry against its primary value and skips stale ones, so both give the same answers.
/// </summary>
internal enum IndexMaintenance
{
    /// <summary>
    /// A write reads the old value of each key it changes (stage 1) and deletes the entries it
    /// no longer yields, in the same batch. The default: queries never wade through stale
    /// entries, the index stays the size of its data, and a write of a new key pays only a
    /// lookup the bloom filters mostly answer. Concurrent writes of the same key can still
    /// leave a stale entry (each read the same old value); queries skip and remove those.
    /// </summary>
    Eager = 0,

    /// <summary>
    /// Writes add entries only; a query that finds a stale entry removes it afterwards (with a
    /// commit check that it is still stale). Cheaper writes, slower queries after overwrites.
    /// </summary>
    Lazy = 1,
}
