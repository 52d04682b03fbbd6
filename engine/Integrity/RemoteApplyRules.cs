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
        BatchChanges final;
        IReadOnlyList<(LiveForeignKey Key, byte[] Parent, byte[] Child)> childrenLeft;
        IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> orphansLeft;
        while (true)
        {
            final = ChangesOf(context);
            childrenLeft = ForeignKeyApply.ChildrenOfDeletedParents(db, final, view: null);
            if (SettleChildren(context, childrenLeft, because, handled)) continue;
            orphansLeft = ForeignKeyApply.OrphanedChildren(db, final, view: null);
            if (!SettleOrphans(context, orphansLeft, because, handled)) break;
        }
        db.Options.TestHooks?.RemoteApplyRulesSettled?.Invoke();
        // What must still hold when the part commits is what this last pass read and decided on
        // (children and orphans a rule keeps, by identity), not a later read: a local child that
        // lands after the pass, under a parent the part deletes, would be counted in such a read
        // as though a rule had kept it, and be left orphaned. Any difference at commit makes the
        // part be judged again.
        var children = Identities(childrenLeft);
        var orphans = Identities(orphansLeft);
        context.ExpectAtCommit(() => children.SetEquals(Identities(ForeignKeyApply.ChildrenOfDeletedParents(db, final, view: null)))
            && orphans.SetEquals(Identities(ForeignKeyApply.OrphanedChildren(db, final, view: null))));
    }

    /// <summary>Applies each key's rule to the children of parents the part deletes; true when it wrote something (another pass is needed).</summary>
    private bool SettleChildren(RemoteApplyContext context, IReadOnlyList<(LiveForeignKey Key, byte[] Parent, byte[] Child)> children,
        Dictionary<(uint, byte[]), ChangeVersion> because, HashSet<(uint, byte[])> handled)
    {
        bool acted = false;
        foreach (var (fk, parent, child) in children)
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
        return acted;
    }

    /// <summary>Applies each key's rule to the children the part brings whose parent is gone; true when it wrote something.</summary>
    private bool SettleOrphans(RemoteApplyContext context, IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> orphans,
        Dictionary<(uint, byte[]), ChangeVersion> because, HashSet<(uint, byte[])> handled)
    {
        bool acted = false;
        foreach (var orphan in orphans)
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
        return acted;
    }

    private static HashSet<string> Identities(IReadOnlyList<(LiveForeignKey Key, byte[] Parent, byte[] Child)> children)
        => [.. children.Select(c => Identity(c.Key.Name, c.Parent, c.Child))];

    private static HashSet<string> Identities(IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> orphans)
        => [.. orphans.Select(o => Identity(o.ForeignKey, o.ParentKey, o.ChildKey))];

    private static string Identity(string foreignKey, byte[] parent, byte[] child) => $"{foreignKey}/{Convert.ToHexString(parent)}/{Convert.ToHexString(child)}";

    private static BatchChanges ChangesOf(RemoteApplyContext context)
    {
        var changes = new BatchChanges();
        foreach (var w in context.Writes)
            changes.Record(w.Family.Id, w.Merge ? ValueKind.Merge : w.Value is null ? ValueKind.Deletion : ValueKind.Value, w.Key, w.Value ?? []);
        return changes;
    }
}
