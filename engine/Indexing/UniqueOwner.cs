namespace LatticeKV.Indexing;

/// <summary>Whether an index key of a unique index validly belongs to a primary key other than the given one.</summary>
internal static class UniqueOwner
{
    /// <summary>
    /// True when an entry of <paramref name="indexKey"/> belongs to a primary key other than
    /// <paramref name="owner"/> whose value (after <paramref name="pending"/>, the batch being
    /// committed, when given) still yields it.
    /// </summary>
    public static bool FindOther(LatticeDb db, LiveIndex index, byte[] indexKey, ReadOnlySpan<byte> owner, PrimaryChanges? pending)
    {
        byte[] prefix = IndexKeyEncoding.ExactPrefix(indexKey);
        var bounds = new ReadOptions { IterateLowerBound = prefix, IterateUpperBound = IndexKeyEncoding.PrefixEnd(prefix) };
        using var it = db.NewIterator(index.Entries, bounds);
        var keys = new ExtractedKeys();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var other = it.Key[prefix.Length..];
            if (other.SequenceEqual(owner)) continue;
            byte[]? value = pending is not null && pending.TryLatest(other, out var inBatch) ? inBatch : db.Get(index.Primary, other);
            if (value is null) continue;
            keys.Clear();
            index.Extractor.Extract(other, value, keys);
            if (keys.Contains(indexKey)) return true;
        }
        return false;
    }
}
