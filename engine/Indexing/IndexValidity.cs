namespace LatticeKV.Indexing;

/// <summary>
/// Whether an entry is still valid: its primary key's value, read as of the same point in time,
/// still yields its index key (for a text index: the document record still holds the term).
/// Every query applies this, so entries a write left behind are never returned.
/// </summary>
internal static class IndexValidity
{
    public static bool IsValid(LatticeDb db, LiveIndex index, ReadOnlySpan<byte> indexKey, ReadOnlySpan<byte> primaryKey, ReadOptions read, ExtractedKeys scratch, out byte[]? value)
    {
        if (index.IsText)
        {
            value = null;
            return db.Get(index.Entries, IndexKeyEncoding.DocumentKey(primaryKey), read) is { } document
                && TextDocument.Decode(document).FrequencyOf(indexKey) > 0;
        }
        value = db.Get(index.Primary, primaryKey, read);
        if (value is null) return false;
        return index.Extractor.Yields(primaryKey, value, indexKey, scratch);
    }
}
