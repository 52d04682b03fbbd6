namespace LatticeKV.Replication;

/// <summary>
/// Names of the hidden column families the replication log keeps (FORMAT.md §15). Persistent
/// format: do not change.
/// </summary>
internal static class ReplicationFamilies
{
    /// <summary>The change log: one record per change, keyed by its position (8 bytes, big-endian).</summary>
    public const string Changes = Indexing.IndexFamilies.ReservedPrefix + "changes";

    /// <summary>The current version of each replicated key: (column family id, key) to the header of its last change.</summary>
    public const string Versions = Indexing.IndexFamilies.ReservedPrefix + "versions";

    /// <summary>The log's own state: the truncation floor (and, with sync, what each peer has).</summary>
    public const string State = Indexing.IndexFamilies.ReservedPrefix + "replication";
}
