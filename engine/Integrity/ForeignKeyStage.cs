using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Integrity;

/// <summary>
/// Stage 1 of every write (see <see cref="WritePath"/>, <see cref="WriteStageOrder.ForeignKeys"/>):
/// refuses what a foreign key cannot judge (a range deletion of a parent family, a merge into a
/// child family whose parent key depends on the value), adds the deletes a cascade needs (found
/// through the foreign keys' indexes, recursively), and adds a <see cref="ForeignKeyCommitCheck"/>
/// that decides at commit, against every earlier write. A delete refused by a restricting key is
/// refused here already; the check repeats every decision (children may have come meanwhile).
/// </summary>
internal sealed class ForeignKeyStage(ForeignKeyCatalog catalog) : IWriteStage
{
    public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
    {
        var byChild = catalog.ByChild;
        var byParent = catalog.ByParent;
        // A peer's changes: the remote apply settles their foreign keys itself (RemoteApplyRules), by each key's rule.
        if (byChild.Count == 0 || batch.FromPeer) return batch;
        bool touched = false;
        foreach (uint id in batch.ColumnFamilyIds)
            if (byChild.ContainsKey(id) || byParent.ContainsKey(id)) touched = true;
        if (!touched) return batch;

        Refuse(batch, byChild, byParent);
        var changes = BatchChanges.Of(batch);
        var output = Cascade(batch, changes, byParent);
        check = CombinedCommitCheck.Combine(check, new ForeignKeyCommitCheck(catalog.Db, byChild, byParent, changes));
        return output;
    }

    private static void Refuse(WriteBatch batch, IReadOnlyDictionary<uint, LiveForeignKey[]> byChild, IReadOnlyDictionary<uint, LiveForeignKey[]> byParent)
    {
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (reader.Kind == ValueKind.RangeDeletion && byParent.TryGetValue(reader.ColumnFamilyId, out var parents))
                throw new InvalidArgumentException(
                    $"DeleteRange on column family '{parents[0].Parent.Name}' is refused: it is the parent of foreign key '{parents[0].Name}'. Delete its keys one by one, so that their children are checked (or cascaded).", nameof(batch));
            if (reader.Kind == ValueKind.Merge && byChild.TryGetValue(reader.ColumnFamilyId, out var children))
            {
                foreach (var key in children)
                    if (!key.Extractor.ReadsKeyOnly)
                        throw new InvalidArgumentException(
                            $"Merges into column family '{key.Child.Name}' are refused: it is the child of foreign key '{key.Name}', whose parent key is read from the value, which a merge makes known only at read time. Write the merged value with Put.", nameof(batch));
            }
        }
    }

    /// <summary>
    /// Adds a delete for each child of each parent the batch deletes, through cascading keys,
    /// recursively (a child deleted may be a parent in turn; a hierarchy ends because a key the
    /// batch already covers is never visited again). A restricting key with a child refuses the batch.
    /// </summary>
    private WriteBatch Cascade(WriteBatch batch, BatchChanges changes, IReadOnlyDictionary<uint, LiveForeignKey[]> byParent)
    {
        var pending = new Queue<(uint Family, byte[] Key)>();
        foreach (uint family in changes.Families.ToList())
        {
            if (!byParent.ContainsKey(family)) continue;
            foreach (var (key, value) in changes.Latest(family))
                if (value is null) pending.Enqueue((family, key));
        }
        WriteBatch? output = null;
        while (pending.TryDequeue(out var deleted))
        {
            foreach (var fk in byParent[deleted.Family])
            {
                foreach (var child in ChildFinder.Children(catalog.Db, fk, deleted.Key))
                {
                    // Covered by the batch: a delete is what a cascade would add; a put is judged at commit.
                    if (changes.TryLatest(fk.Child.Id, child, out _)) continue;
                    if (fk.OnDelete == ForeignKeyAction.Restrict) throw ForeignKeyErrors.ParentHasChildren(catalog.Db, fk, deleted.Key);
                    if (output is null)
                    {
                        output = new WriteBatch();
                        output.Append(batch);
                    }
                    output.Delete(fk.Child, child);
                    changes.Record(fk.Child.Id, ValueKind.Deletion, child, []);
                    if (byParent.ContainsKey(fk.Child.Id)) pending.Enqueue((fk.Child.Id, child));
                }
            }
        }
        return output ?? batch;
    }
}
