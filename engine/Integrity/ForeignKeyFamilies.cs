namespace LatticeKV.Integrity;

/// <summary>
/// Names foreign keys keep their data under. Persistent format: do not change (FORMAT.md §18.2).
/// </summary>
internal static class ForeignKeyFamilies
{
    /// <summary>The hidden family of foreign key records, keyed by foreign key name.</summary>
    public const string CatalogName = Indexing.IndexFamilies.ReservedPrefix + "foreign-keys";

    /// <summary>Every index a foreign key owns is named with this prefix; users cannot create, list or drop such indexes.</summary>
    public const string IndexPrefix = "__fk.";

    /// <summary>The index of the child family keyed by parent key, owned by foreign key <paramref name="name"/>.</summary>
    public static string IndexOf(string name) => IndexPrefix + name;

    public static bool IsOwnedIndex(string indexName) => indexName.StartsWith(IndexPrefix, StringComparison.Ordinal);
}
