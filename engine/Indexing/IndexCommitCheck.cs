using LatticeKV.Db;

namespace LatticeKV.Indexing;

/// <summary>
/// Stage 3 of a write touching unique or text indexes (see <see cref="ICommitCheck"/>): it sees
/// every earlier write and nothing later. A unique index's keys must not belong to another
/// primary key (stored, or given in the same batch). A text index's corpus statistics are
/// brought up to date from the document records the batch replaces.
/// </summary>
/// <remarks>
/// The statistics record is appended to the batch <see cref="IndexWriteStage"/> built and this
/// check belongs to, before the leader numbers and logs it: the new totals depend on the state
/// at commit, which only this stage sees, and they must be in the same record as the documents
/// they count. Nothing else is written.
/// </remarks>
internal sealed class IndexCommitCheck(IndexCatalog catalog, WriteBatch batch, Dictionary<uint, PrimaryChanges> changes, List<LiveIndex> indexes) : ICommitCheck
{
    public void Check(ulong lastSequence)
    {
        // Every unique constraint first: a rejected write must leave the batch as it was.
        foreach (var index in indexes)
            if (index.Unique) CheckUnique(index, changes[index.Primary.Id]);
        foreach (var index in indexes)
            if (index.IsText) AppendStatistics(index, changes[index.Primary.Id]);
    }

    private void CheckUnique(LiveIndex index, PrimaryChanges primary)
    {
        var claims = new Dictionary<byte[], byte[]>(ByteKeys.Instance);
        var keys = new ExtractedKeys();
        foreach (var key in primary.NamedKeys)
        {
            if (!primary.TryLatest(key, out var value) || value is null) continue;
            keys.Clear();
            index.Extractor.Extract(key, value, keys);
            foreach (var indexKey in keys.Keys)
            {
                if (claims.TryGetValue(indexKey, out var other) && !other.AsSpan().SequenceEqual(key)) throw new UniqueConstraintException(index.Name);
                claims[indexKey] = key;
            }
        }
        foreach (var (indexKey, key) in claims)
            if (UniqueOwner.FindOther(catalog.Db, index, indexKey, key, primary)) throw new UniqueConstraintException(index.Name);
    }

    private void AppendStatistics(LiveIndex index, PrimaryChanges primary)
    {
        var db = catalog.Db;
        var affected = new SortedSet<byte[]>(primary.NamedKeys, ByteKeys.Instance);
        foreach (var (begin, end) in primary.Ranges)
        {
            var bounds = new ReadOptions { IterateLowerBound = IndexKeyEncoding.DocumentKey(begin), IterateUpperBound = IndexKeyEncoding.DocumentKey(end), FillCache = false };
            using var it = db.NewIterator(index.Entries, bounds);
            for (it.SeekToFirst(); it.Valid; it.Next()) affected.Add(it.Key[2..].ToArray());
        }
        var stats = TextStatistics.Decode(db.Get(index.Entries, IndexKeyEncoding.StatisticsKey));
        var keys = new ExtractedKeys();
        var counts = index.Record.HasTermCounts ? new TermCountChanges() : null;
        foreach (var key in affected)
        {
            var replaced = db.Get(index.Entries, IndexKeyEncoding.DocumentKey(key));
            stats = stats.Without(replaced);
            counts?.Remove(replaced);
            if (!primary.TryLatest(key, out var value) || value is null) continue;
            keys.Clear();
            index.Extractor.Extract(key, value, keys);
            stats = stats.With(keys.Tokens);
            counts?.Add(keys);
        }
        batch.Put(index.Entries, IndexKeyEncoding.StatisticsKey, stats.Encode());
        counts?.WriteTo(db, index, batch);
    }
}
