namespace LatticeKV.Integrity;

/// <summary>
/// For the remote apply (sync): after conflict resolution has decided what an applied batch puts
/// and deletes, which foreign keys it leaves broken, so the apply can act in the same write (delete
/// or quarantine children, refuse or cascade deletes) and record what it did. Reads go through
/// the given view (the apply's snapshot, or null for the latest state); the batch's own
/// result counts over stored data, as it does for local writes.
/// </summary>
internal static class ForeignKeyApply
{
    /// <summary>
    /// Children (stored, and not covered by <paramref name="applied"/>) of the parents the applied
    /// batch deletes, per foreign key: a restricting key's must be refused or resolved, a cascading
    /// key's deleted in the same apply (recursively: call again with those deletes added).
    /// </summary>
    internal static IReadOnlyList<(LiveForeignKey Key, byte[] Parent, byte[] Child)> ChildrenOfDeletedParents(LatticeDb db, BatchChanges applied, ReadOptions? view)
    {
        var found = new List<(LiveForeignKey, byte[], byte[])>();
        if (db.ForeignKeys is not { } catalog) return found;
        foreach (uint family in applied.Families)
        {
            if (!catalog.ByParent.TryGetValue(family, out var keys)) continue;
            foreach (var (parent, value) in applied.Latest(family))
            {
                if (value is not null) continue;
                foreach (var fk in keys)
                    foreach (var child in ChildFinder.Children(db, fk, parent, view))
                        if (!applied.TryLatest(fk.Child.Id, child, out _)) found.Add((fk, parent, child));
            }
        }
        return found;
    }

    /// <summary>Children the applied batch puts whose parent is missing after it (neither put by it nor stored).</summary>
    internal static IReadOnlyList<ReferentialIntegrityException.ForeignKeyViolation> OrphanedChildren(LatticeDb db, BatchChanges applied, ReadOptions? view)
    {
        var found = new List<ReferentialIntegrityException.ForeignKeyViolation>();
        if (db.ForeignKeys is not { } catalog) return found;
        var parents = new Indexing.ExtractedKeys();
        foreach (uint family in applied.Families)
        {
            if (!catalog.ByChild.TryGetValue(family, out var keys)) continue;
            foreach (var (child, value) in applied.Latest(family))
            {
                if (value is null) continue;
                foreach (var fk in keys)
                {
                    parents.Clear();
                    fk.Extractor.Extract(child, value, parents);
                    foreach (var parent in parents.Keys)
                    {
                        bool exists = applied.TryLatest(fk.Parent.Id, parent, out var latest) ? latest is not null : db.Get(fk.Parent, parent, view) is not null;
                        if (!exists) found.Add(IntegrityVerifier.Violation(db, fk, child, parent));
                    }
                }
            }
        }
        return found;
    }
}
