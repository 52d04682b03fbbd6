using LatticeKV.Db;
using LatticeKV.Indexing;

namespace LatticeKV.Integrity;

/// <summary>
/// Stage 3 of a write touching a foreign key's families (see <see cref="ICommitCheck"/>), judged
/// against every earlier write: each child the batch leaves in place must have its parents (in
/// the batch's own result, or stored), and each parent it deletes must have no child the batch
/// does not delete. A child a batch ahead in the group may have written (its key or an index
/// entry of the deleted parent is among the group's keys) cannot be judged until that batch is in
/// the memtables: the write is then prepared again (<see cref="StagesChangedException"/>), as is a
/// cascade whose children changed since stage 1, so a cascade is never applied in part.
/// </summary>
/// <remarks>
/// Why this is race-free: a child insert and its parent's delete are two writes, and the leader
/// checks one after the other is in the memtables (or among the group's keys): whichever comes
/// second sees the first (the missing parent, or the child through the index) and is refused or
/// prepared again. Reads take no write-path lock; nothing is written.
/// </remarks>
internal sealed class ForeignKeyCommitCheck(LatticeDb db, IReadOnlyDictionary<uint, LiveForeignKey[]> byChild, IReadOnlyDictionary<uint, LiveForeignKey[]> byParent, BatchChanges changes) : IGroupCommitCheck
{
    public void Check(ulong lastSequence) => Check(lastSequence, GroupWrittenKeys.None);

    public void Check(ulong lastSequence, GroupWrittenKeys earlier)
    {
        var keys = new ExtractedKeys();
        foreach (uint family in changes.Families)
        {
            if (!byChild.TryGetValue(family, out var asChild)) continue;
            foreach (var (key, value) in changes.Latest(family))
            {
                if (value is null) continue;
                foreach (var fk in asChild)
                {
                    keys.Clear();
                    fk.Extractor.Extract(key, value, keys);
                    foreach (var parent in keys.Keys)
                        if (!ParentExists(fk, parent, earlier)) throw ForeignKeyErrors.MissingParent(db, fk, key, parent);
                }
            }
        }
        foreach (uint family in changes.Families)
        {
            if (!byParent.TryGetValue(family, out var asParent)) continue;
            foreach (var (key, value) in changes.Latest(family))
            {
                if (value is not null) continue;
                foreach (var fk in asParent) CheckNoChildLeft(fk, key, earlier);
            }
        }
    }

    private bool ParentExists(LiveForeignKey fk, byte[] parent, GroupWrittenKeys earlier)
    {
        if (changes.TryLatest(fk.Parent.Id, parent, out var value)) return value is not null;
        if (earlier.Contains(fk.Parent.Id, parent)) throw new StagesChangedException();
        return db.Get(fk.Parent, parent) is not null;
    }

    private void CheckNoChildLeft(LiveForeignKey fk, byte[] parent, GroupWrittenKeys earlier)
    {
        if (!earlier.IsEmpty && ChildFinder.AnyEntryOf(earlier.In(fk.Index.Entries.Id), parent)) throw new StagesChangedException();
        foreach (var child in ChildFinder.Children(db, fk, parent))
        {
            if (changes.TryLatest(fk.Child.Id, child, out _)) continue;
            if (earlier.Contains(fk.Child.Id, child)) throw new StagesChangedException();
            // A child stage 1 did not see: a cascade prepared again deletes it too.
            if (fk.OnDelete == ForeignKeyAction.Cascade) throw new StagesChangedException();
            throw ForeignKeyErrors.ParentHasChildren(db, fk, parent);
        }
    }
}
