using LatticeKV.Db;

namespace LatticeKV.Transactions;

/// <summary>
/// An optimistic transaction's commit check (stage 3 of the write path): fails the commit when
/// any key it read, any key in a range its iterators went over, or any key it writes has an
/// entry newer than its snapshot. Checking written keys too (as RocksDB's optimistic
/// transactions do) makes blind writes lose to a concurrent writer instead of overwriting it
/// unseen, so every committed transaction is serializable, not only its reads.
/// </summary>
/// <remarks>
/// Judged inside a write group (<see cref="IGroupCommitCheck"/>): a key written by a member ahead
/// of it in the group is written after its snapshot, whatever the database holds.
/// </remarks>
internal sealed class OptimisticCommitCheck(LatticeDb db, ulong snapshot, ReadSet reads, WriteBuffer writes) : IGroupCommitCheck
{
    public void Check(ulong lastSequence) => Check(lastSequence, GroupWrittenKeys.None);

    public void Check(ulong lastSequence, GroupWrittenKeys earlier)
    {
        if (!earlier.IsEmpty) CheckGroup(earlier);
        if (lastSequence <= snapshot) return; // nothing at all was written since the snapshot
        var tables = db.Tables;
        foreach (var family in reads.Families)
        {
            var cfd = Live(family.Handle);
            foreach (var key in family.Keys)
                if (ConflictProbe.HasNewerEntry(tables, cfd, key, snapshot)) throw Conflict(family.Handle, "a key it read");
            foreach (var range in family.Ranges)
                if (ConflictProbe.HasNewerEntryInRange(tables, cfd, range, snapshot)) throw Conflict(family.Handle, "a key in a range it iterated");
        }
        foreach (var family in writes.Families)
        {
            var cfd = Live(family.Handle);
            var read = reads.Find(family.Handle.Id)?.Keys;
            foreach (var key in family.Writes.Keys)
                if (read?.Contains(key) != true && ConflictProbe.HasNewerEntry(tables, cfd, key, snapshot)) throw Conflict(family.Handle, "a key it wrote");
        }
    }

    /// <summary>Fails when a member ahead in the group writes a key this transaction read, iterated over or writes.</summary>
    private void CheckGroup(GroupWrittenKeys earlier)
    {
        foreach (var family in reads.Families)
        {
            uint id = family.Handle.Id;
            foreach (var key in family.Keys)
                if (earlier.Contains(id, key)) throw Conflict(family.Handle, "a key it read");
            if (family.Ranges.Count == 0) continue;
            var cmp = family.Handle.Data.Comparator;
            foreach (var key in earlier.In(id))
                foreach (var range in family.Ranges)
                    if (range.IsAboveLow(key, cmp) && range.IsBelowHigh(key, cmp)) throw Conflict(family.Handle, "a key in a range it iterated");
        }
        foreach (var family in writes.Families)
            foreach (var key in family.Writes.Keys)
                if (earlier.Contains(family.Handle.Id, key)) throw Conflict(family.Handle, "a key it wrote");
    }

    private static ColumnFamilyData Live(ColumnFamilyHandle handle)
        => handle.Data.Dropped ? throw new ColumnFamilyNotFoundException(handle.Name) : handle.Data;

    private static TransactionConflictException Conflict(ColumnFamilyHandle family, string what)
        => new($"Transaction conflict: {what} in column family '{family.Name}' was written after the transaction began; nothing was committed.");
}
