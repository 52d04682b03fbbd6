using LatticeKV.Keys;
using LatticeKV.Replication;

namespace LatticeKV.Integrity;

/// <summary>
/// The integrity rules as the remote apply (sync) consults them (<see cref="IRemoteApplyRules"/>):
/// a peer's value the family's validator rejects is quarantined; once a part's changes are
/// judged, what they did to foreign keys is settled in the same batch by each key's rule:
/// Cascade deletes the children of a parent the peer deleted, and a child that arrived without
/// its parent; Restrict writes back a parent the peer deleted while children remain here (the
/// delete loses everywhere, since the write is this replica's own change and reaches every
/// replica), and keeps a child that arrived without its parent (the replica it came from
/// restores the parent when the delete reaches it). Every action is recorded in the conflict
/// history. The facts this relied on are checked again at commit (a local write in between
/// makes the part be judged again).
/// </summary>
internal sealed class RemoteApplyRules(LatticeDb db) : IRemoteApplyRules
{
    public bool Judges(ColumnFamilyHandle family) => RemoteChangeValidation.Judges(family.Data);

    public string? Reject(ColumnFamilyHandle family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => RemoteChangeValidation.Rejection(family.Data, key, value);

    public bool ActsAfterApply => db.ForeignKeys is { All.Count: > 0 };

    public void Complete(RemoteApplyContext context)
    {
        var because = new Dictionary<(uint, byte[]), ChangeVersion>(new RemoteChangeApplier.FamilyIdKeyEquality());
        foreach (var w in context.Writes) because[(w.Family.Id, w.Key)] = w.Because;
        var handled = new HashSet<(uint, byte[])>(new RemoteChangeApplier.FamilyIdKeyEquality());
        for (bool acted = true; acted;)
        {
            acted = false;
            var changes = ChangesOf(context);
            foreach (var (fk, parent, child) in ForeignKeyApply.ChildrenOfDeletedParents(db, changes, view: null))
            {
                var cause = because.GetValueOrDefault((fk.Parent.Id, parent));
                if (fk.OnDelete == ForeignKeyAction.Cascade)
                {
                    if (!handled.Add((fk.Child.Id, child))) continue;
                    context.DeleteAsLocal(fk.Child, child, db.Get(fk.Child, child), fk.Name, ConflictOutcome.ChildDeleted, cause);
                    because[(fk.Child.Id, child)] = cause;
                    acted = true;
                }
                else if (db.Get(fk.Parent, parent) is { } value)
                {
                    // The value the parent had before the peer's delete (not written yet) is written again.
                    if (!handled.Add((fk.Parent.Id, parent))) continue;
                    context.PutAsLocal(fk.Parent, parent, value, fk.Name, ConflictOutcome.ParentRestored, cause);
                    acted = true;
                }
                else if (handled.Add((fk.Child.Id, child)))
                {
                    // Nothing here to write back (the parent was already gone): the child waits for it.
                    context.Record(ConflictOutcome.OrphanKept, fk.Name, fk.Child, child, cause, null);
                }
            }
            if (acted) continue;
            foreach (var orphan in ForeignKeyApply.OrphanedChildren(db, ChangesOf(context), view: null))
            {
                var fk = db.ForeignKeys!.All.First(k => k.Name == orphan.ForeignKey);
                if (!handled.Add((fk.Child.Id, orphan.ChildKey))) continue;
                var cause = because.GetValueOrDefault((fk.Child.Id, orphan.ChildKey));
                if (fk.OnDelete == ForeignKeyAction.Cascade)
                {
                    context.DeleteAsLocal(fk.Child, orphan.ChildKey, context.ValueAfter(fk.Child, orphan.ChildKey), fk.Name, ConflictOutcome.ChildDeleted, cause);
                    acted = true;
                }
                else
                {
                    context.Record(ConflictOutcome.OrphanKept, fk.Name, fk.Child, orphan.ChildKey, cause, null);
                }
            }
        }
        // What was settled must still hold when the part commits: no other child of a parent it
        // deletes appeared, and no other child lost its parent.
        var final = ChangesOf(context);
        int childrenKept = ForeignKeyApply.ChildrenOfDeletedParents(db, final, view: null).Count;
        int orphansKept = ForeignKeyApply.OrphanedChildren(db, final, view: null).Count;
        context.ExpectAtCommit(() => ForeignKeyApply.ChildrenOfDeletedParents(db, final, view: null).Count == childrenKept
            && ForeignKeyApply.OrphanedChildren(db, final, view: null).Count == orphansKept);
    }

    private static BatchChanges ChangesOf(RemoteApplyContext context)
    {
        var changes = new BatchChanges();
        foreach (var w in context.Writes)
            changes.Record(w.Family.Id, w.Merge ? ValueKind.Merge : w.Value is null ? ValueKind.Deletion : ValueKind.Value, w.Key, w.Value ?? []);
        return changes;
    }
}
