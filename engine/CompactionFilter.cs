namespace LatticeKV;

/// <summary>
/// Decides which entries of a column family are garbage. Entries it rejects are never returned
/// by reads (<see cref="LatticeDb.Get(ReadOnlySpan{byte}, ReadOptions?)"/>, iterators) and are
/// removed by compaction. It must be deterministic (the same key and value always give the
/// same answer), thread-safe, and fast: it runs on the read path.
/// </summary>
/// <example>
/// <code>
/// sealed class DropDrafts : CompactionFilter
/// {
///     public override string Name => "drop-drafts";
///     public override bool ShouldRemove(ReadOnlySpan&lt;byte&gt; key, ReadOnlySpan&lt;byte&gt; value)
///         => key.StartsWith("draft/"u8);
/// }
/// </code>
/// </example>
public abstract class CompactionFilter
{
    /// <summary>A name for logs and diagnostics.</summary>
    public abstract string Name { get; }

    /// <summary>True to remove the entry (as if it had been deleted).</summary>
    public abstract bool ShouldRemove(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);
}
