namespace LatticeKV.Indexing;

/// <summary>
/// Names of the hidden column families indexes keep their data in. Users cannot create a family
/// whose name starts with <see cref="ReservedPrefix"/>, and the public listings leave them out;
/// otherwise they are ordinary families (backed up, restored, compacted and sealed like any).
/// Persistent format: do not change (FORMAT.md, "Secondary indexes").
/// </summary>
internal static class IndexFamilies
{
    public const string ReservedPrefix = "__lkv/";

    /// <summary>The catalog: one record per index (its definition, state and backfill cursor), keyed by index name.</summary>
    public const string CatalogName = ReservedPrefix + "indexes";

    private const string IndexPrefix = ReservedPrefix + "index/";

    public static bool IsHidden(string name) => name.StartsWith(ReservedPrefix, StringComparison.Ordinal);

    /// <summary>True for the entry family of some index (never the catalog or another subsystem's family).</summary>
    public static bool IsEntries(string name) => name.StartsWith(IndexPrefix, StringComparison.Ordinal);

    /// <summary>The family holding the entries of index <paramref name="indexName"/>.</summary>
    public static string EntriesOf(string indexName) => IndexPrefix + indexName;
}
