using System.Buffers;

namespace LatticeKV.Indexing;

/// <summary>
/// Whether an entry is still valid: its primary key's value, read as of the same point in time,
/// still yields its index key (for a text index: the document record still holds the term).
/// Every query applies this, so entries a write left behind are never returned.
/// </summary>
internal static class IndexValidity
{
    /// <summary>
    /// Checks the entry; for an index that is not a text index the primary value read for the
    /// check is left in <paramref name="value"/> (cleared first, so one buffer serves every
    /// entry), for a text index <paramref name="value"/> is left empty.
    /// </summary>
    public static bool IsValid(LatticeDb db, LiveIndex index, ReadOnlySpan<byte> indexKey, ReadOnlySpan<byte> primaryKey, ReadOptions read, ExtractedKeys scratch, ArrayBufferWriter<byte> value)
    {
        value.ResetWrittenCount();
        if (index.IsText)
        {
            return db.Get(index.Entries, IndexKeyEncoding.DocumentKey(primaryKey), read) is { } document
                && TextDocument.Decode(document).FrequencyOf(indexKey) > 0;
        }
        if (!db.TryGet(index.Primary, primaryKey, value, read)) return false;
        return index.Extractor.Yields(primaryKey, value.WrittenSpan, indexKey, scratch);
    }
}
