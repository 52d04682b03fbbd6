using LatticeKV.Db;

namespace LatticeKV.Indexing;

/// <summary>
/// Commits one batch of an index build. The build finds keys in a snapshot, but the entries are
/// made here, from each key's value at commit, when nothing else can write: a key written since
/// the snapshot already has its entries from that write, and they are written again unchanged,
/// never replaced by older ones. The batch already holds the catalog record with the new cursor.
/// </summary>
internal sealed class BackfillCheck(LatticeDb db, LiveIndex index, IReadOnlyList<byte[]> keys, WriteBatch batch) : ICommitCheck
{
    public void Check(ulong lastSequence)
    {
        if (index.State != IndexState.Building) throw new IndexBuildStoppedException();
        var extracted = new ExtractedKeys();
        var stats = index.IsText ? TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey)) : default;
        var counts = index.Record.HasTermCounts ? new TermCountChanges() : null;
        var claims = new Dictionary<byte[], byte[]>(ByteKeys.Instance); // a unique index's keys given in this batch
        foreach (var key in keys)
        {
            if (db.Get(index.Primary, key) is not { } value) continue;
            extracted.Clear();
            index.Extractor.Extract(key, value, extracted);
            if (index.Unique)
            {
                foreach (var indexKey in extracted.Keys)
                {
                    if (!claims.TryAdd(indexKey, key) || UniqueOwner.FindOther(db, index, indexKey, key, null))
                        throw new UniqueConstraintException(index.Name);
                }
            }
            if (index.IsText)
            {
                var replaced = db.Get(index.Entries, IndexKeyEncoding.DocumentKey(key));
                stats = stats.Without(replaced).With(extracted.Tokens);
                counts?.Remove(replaced);
                counts?.Add(extracted);
            }
            index.WriteEntries(batch, key, extracted);
        }
        if (index.IsText) batch.Put(index.Entries, IndexKeyEncoding.StatisticsKey, stats.Encode());
        counts?.WriteTo(db, index, batch);
    }
}
