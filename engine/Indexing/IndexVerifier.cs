namespace LatticeKV.Indexing;

/// <summary>
/// Checks an index against its primary data in one snapshot: every entry the primary values
/// yield exists, every entry found is valid or counted stale, and for a text index every
/// document record and the statistics record match what the values say.
/// </summary>
internal static class IndexVerifier
{
    public static IndexVerification Verify(LatticeDb db, LiveIndex index)
    {
        using var snapshot = db.GetSnapshot();
        var read = new ReadOptions { Snapshot = snapshot, FillCache = false };
        var keys = new ExtractedKeys();
        long primaryEntries = 0, missing = 0, mismatches = 0, documents = 0, total = 0;
        bool building = index.State == IndexState.Building;
        using (var it = db.NewIterator(index.Primary, read))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                primaryEntries++;
                keys.Clear();
                index.Extractor.Extract(it.Key, it.Value, keys);
                foreach (var indexKey in keys.Keys)
                    if (db.Get(index.Entries, IndexKeyEncoding.EntryKey(indexKey, it.Key), read) is null) missing++;
                if (!index.IsText) continue;
                var stored = db.Get(index.Entries, IndexKeyEncoding.DocumentKey(it.Key), read);
                if (keys.Tokens > 0)
                {
                    documents++;
                    total += keys.Tokens;
                    if (stored is null || !stored.AsSpan().SequenceEqual(TextDocument.Encode(keys))) mismatches++;
                }
                else if (stored is not null)
                {
                    mismatches++;
                }
            }
        }
        long entries = 0, stale = 0;
        var value = new System.Buffers.ArrayBufferWriter<byte>();
        using (var it = db.NewIterator(index.Entries, read))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                if (!IndexKeyEncoding.TrySplit(it.Key, out var indexKey, out var primaryKey))
                {
                    // A document record whose primary key has no value is a mismatch too.
                    if (IndexKeyEncoding.IsDocumentKey(it.Key) && db.Get(index.Primary, it.Key[2..], read) is null) mismatches++;
                    continue;
                }
                entries++;
                if (!IndexValidity.IsValid(db, index, indexKey, primaryKey, read, keys, value)) stale++;
            }
        }
        bool statsMatch = !index.IsText || TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey, read)) == new TextStatistics(documents, total);
        // A build in progress has not reached every key yet: only what it must already hold is damage.
        if (building) missing = mismatches = 0;
        return new IndexVerification(index.Name, index.State, primaryEntries, entries, missing, stale, mismatches, statsMatch || building);
    }
}
