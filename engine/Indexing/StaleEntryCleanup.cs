using LatticeKV.Db;

namespace LatticeKV.Indexing;

/// <summary>
/// Removes entries a query found stale. The batch is built by the commit check: an entry is
/// deleted only if it is still stale when nothing else can write, so a write that made it valid
/// again after the query looked is never undone.
/// </summary>
internal sealed class StaleEntryCleanup(LatticeDb db, LiveIndex index, List<(byte[] IndexKey, byte[] PrimaryKey)> stale, WriteBatch batch) : ICommitCheck
{
    public static void Run(LatticeDb db, LiveIndex index, List<(byte[] IndexKey, byte[] PrimaryKey)> stale)
    {
        if (stale.Count == 0 || db.IsReadOnly || !index.Maintained) return;
        var batch = new WriteBatch();
        try
        {
            db.WriteChecked(batch, WriteOptions.Default, new StaleEntryCleanup(db, index, stale, batch));
        }
        catch (LatticeException)
        {
            // Best effort: the entries stay, and queries keep skipping them.
        }
        catch (ObjectDisposedException)
        {
            // Closed meanwhile: likewise.
        }
    }

    public void Check(ulong lastSequence)
    {
        if (!index.Maintained) return;
        var scratch = new ExtractedKeys();
        var value = new System.Buffers.ArrayBufferWriter<byte>();
        foreach (var (indexKey, primaryKey) in stale)
            if (!IndexValidity.IsValid(db, index, indexKey, primaryKey, ReadOptions.Default, scratch, value))
                batch.Delete(index.Entries, IndexKeyEncoding.EntryKey(indexKey, primaryKey));
    }
}
