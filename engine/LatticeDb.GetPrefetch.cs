using LatticeKV.Db;

namespace LatticeKV;

// Hints ahead of point lookups (Db/MultiGetPrefetch).
public sealed partial class LatticeDb
{
    /// <summary>
    /// Snapshot sequence of <paramref name="options"/> (the latest when it has none), for the
    /// lookups a caller adds to a <see cref="MultiGetPrefetch"/>.
    /// </summary>
    internal ulong SnapshotSequence(ReadOptions options) => ResolveSnapshot(options);

    /// <summary>
    /// The current tables of <paramref name="columnFamily"/> and its memtables, referenced for the
    /// caller (who calls <see cref="SuperVersion.Release"/>), as a lookup holds them.
    /// </summary>
    internal SuperVersion AcquireSuperVersion(ColumnFamilyHandle columnFamily)
    {
        CheckHandle(columnFamily);
        return columnFamily.Data.AcquireSuperVersion();
    }
}
