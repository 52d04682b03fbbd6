using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Indexing;

/// <summary>
/// Stage 1 of every write (see <see cref="WritePath"/>): a batch touching an indexed family is
/// copied with the index entries of its puts (and, eagerly, the deletion of the entries its
/// overwrites and deletes leave behind), so entries and data are one log record. Unique and
/// text indexes add an <see cref="IndexCommitCheck"/>: a unique constraint and corpus
/// statistics depend on the state at commit.
/// </summary>
internal sealed class IndexWriteStage(IndexCatalog catalog) : IWriteStage
{
    public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
    {
        var byPrimary = catalog.ByPrimary;
        if (byPrimary.Count == 0) return batch;
        bool touched = false;
        foreach (uint id in batch.ColumnFamilyIds)
            if (byPrimary.ContainsKey(id)) touched = true;
        if (!touched) return batch;

        var output = new WriteBatch();
        var changes = new Dictionary<uint, PrimaryChanges>();
        var checkedIndexes = new List<LiveIndex>();
        var reader = new WriteBatchReader(batch.Rep);
        var scratch = new IndexScratch();
        while (reader.MoveNext())
        {
            output.AddChecked(reader.Kind, reader.ColumnFamilyId, reader.Key, reader.Value);
            if (!byPrimary.TryGetValue(reader.ColumnFamilyId, out var indexes)) continue;
            if (!changes.TryGetValue(reader.ColumnFamilyId, out var primary)) changes[reader.ColumnFamilyId] = primary = new PrimaryChanges();
            foreach (var index in indexes)
            {
                if (!index.Maintained) continue;
                if ((index.Unique || index.IsText) && !checkedIndexes.Contains(index)) checkedIndexes.Add(index);
                AddEntries(index, primary, reader.Kind, reader.Key, reader.Value, output, scratch);
            }
            primary.Record(reader.Kind, reader.Key, reader.Value);
        }
        if (checkedIndexes.Count > 0) check = CombinedCommitCheck.Combine(check, new IndexCommitCheck(catalog, output, changes, checkedIndexes));
        return output;
    }

    private void AddEntries(LiveIndex index, PrimaryChanges primary, ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteBatch output, IndexScratch scratch)
    {
        var entries = index.Entries;
        bool eager = catalog.Maintenance == IndexMaintenance.Eager;
        switch (kind)
        {
            case ValueKind.Value:
                scratch.New.Clear();
                index.Extractor.Extract(key, value, scratch.New);
                if (eager) DeleteOld(index, primary, key, scratch.New, output, scratch);
                index.WriteEntries(output, key, scratch.New);
                break;
            case ValueKind.Deletion:
                if (eager)
                {
                    scratch.New.Clear();
                    DeleteOld(index, primary, key, scratch.New, output, scratch);
                }
                if (index.IsText) output.Delete(entries, IndexKeyEncoding.DocumentKey(key));
                break;
            case ValueKind.RangeDeletion:
                if (eager) DeleteRangeEntries(index, primary, key, value, output, scratch);
                if (index.IsText) output.DeleteRange(entries, IndexKeyEncoding.DocumentKey(key), IndexKeyEncoding.DocumentKey(value));
                break;
            case ValueKind.Merge when index.Extractor.ReadsKeyOnly && !index.IsText:
                // The keys come from the primary key alone: the merged value cannot change them.
                scratch.New.Clear();
                index.Extractor.Extract(key, [], scratch.New);
                index.WriteEntries(output, key, scratch.New);
                break;
            case ValueKind.Merge:
                // The index keys of a merged value are known only once the operands are merged
                // at read time; an entry written now could never be kept exact.
                throw new InvalidArgumentException($"Column family '{index.Primary.Name}' is indexed (index '{index.Name}'): merges into it are refused; write the merged value with Put.", nameof(kind));
            default:
                throw new InvalidArgumentException($"Operations of kind {kind} are not supported on an indexed column family.", nameof(kind));
        }
    }

    /// <summary>Deletes the entries the key's current value (in the batch so far, or stored) yields and <paramref name="kept"/> does not.</summary>
    private void DeleteOld(LiveIndex index, PrimaryChanges primary, ReadOnlySpan<byte> key, ExtractedKeys kept, WriteBatch output, IndexScratch scratch)
    {
        byte[]? old = primary.TryLatest(key, out var inBatch) ? inBatch : catalog.Db.Get(index.Primary, key);
        if (old is null) return;
        scratch.Old.Clear();
        index.Extractor.Extract(key, old, scratch.Old);
        foreach (var indexKey in scratch.Old.Keys)
            if (!kept.Contains(indexKey)) output.Delete(index.Entries, IndexKeyEncoding.EntryKey(indexKey, key));
    }

    private void DeleteRangeEntries(LiveIndex index, PrimaryChanges primary, ReadOnlySpan<byte> begin, ReadOnlySpan<byte> end, WriteBatch output, IndexScratch scratch)
    {
        var none = new ExtractedKeys();
        var keys = new SortedSet<byte[]>(ByteKeys.Instance);
        using (var it = catalog.Db.NewIterator(index.Primary, new ReadOptions { IterateLowerBound = begin.ToArray(), IterateUpperBound = end.ToArray(), FillCache = false }))
            for (it.SeekToFirst(); it.Valid; it.Next()) keys.Add(it.Key.ToArray());
        foreach (var k in primary.NamedKeys)
            if (k.AsSpan().SequenceCompareTo(begin) >= 0 && k.AsSpan().SequenceCompareTo(end) < 0) keys.Add(k);
        foreach (var k in keys) DeleteOld(index, primary, k, none, output, scratch);
    }

    /// <summary>Keys extracted from the new and the old value, reused across one batch.</summary>
    private sealed class IndexScratch
    {
        public readonly ExtractedKeys New = new();
        public readonly ExtractedKeys Old = new();
    }
}
