using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>
/// The children of one parent key, found through the foreign key's index (entries prefixed by the
/// parent key) and each confirmed against the child's value as the given read options read it:
/// an entry left stale by lazy index maintenance, or whose child now names another parent, is
/// skipped.
/// </summary>
internal static class ChildFinder
{
    public static IEnumerable<byte[]> Children(LatticeDb db, LiveForeignKey key, byte[] parentKey, ReadOptions? options = null)
    {
        byte[] prefix = IndexKeyEncoding.ExactPrefix(parentKey);
        var bounds = new ReadOptions
        {
            Snapshot = options?.Snapshot,
            IterateLowerBound = prefix,
            IterateUpperBound = IndexKeyEncoding.PrefixEnd(prefix),
            FillCache = false,
        };
        var scratch = new ExtractedKeys();
        var read = options?.Snapshot is null ? null : new ReadOptions { Snapshot = options.Snapshot };
        using var it = db.NewIterator(key.Index.Entries, bounds);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (!IndexKeyEncoding.TrySplit(it.Key, out _, out var childKey)) continue;
            byte[] child = childKey.ToArray();
            var value = db.Get(key.Child, child, read);
            if (value is null || !key.Extractor.Yields(child, value, parentKey, scratch)) continue;
            yield return child;
        }
    }

    /// <summary>True when <paramref name="entries"/> (index entry keys written ahead in a group) holds an entry of <paramref name="parentKey"/>.</summary>
    public static bool AnyEntryOf(IEnumerable<byte[]> entries, byte[] parentKey)
    {
        byte[] prefix = IndexKeyEncoding.ExactPrefix(parentKey);
        foreach (var entry in entries)
            if (entry.AsSpan().StartsWith(prefix)) return true;
        return false;
    }
}
