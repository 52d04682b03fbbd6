using LatticeKV.Db;

namespace LatticeKV.Transactions;

/// <summary>
/// An optimistic transaction's commit check (stage 3 of the write path): fails the commit when
/// any key it read, any key in a range its iterators went over, or any key it writes has an
/// entry newer than its snapshot. Checking written keys too (as RocksDB's optimistic
/// transactions do) makes blind writes lose to a concurrent writer instead of overwriting it
/// unseen, so every committed transaction is serializable, not only its reads.
/// </summary>
internal sealed class OptimisticCommitCheck(LatticeDb db, ulong snapshot, ReadSet reads, WriteBuffer writes) : ICommitCheck
{
    public void Check(ulong lastSequence)
    {
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

    private static ColumnFamilyData Live(ColumnFamilyHandle handle)
        => handle.Data.Dropped ? throw new ColumnFamilyNotFoundException(handle.Name) : handle.Data;

    private static TransactionConflictException Conflict(ColumnFamilyHandle family, string what)
        => new($"Transaction conflict: {what} in column family '{family.Name}' was written after the transaction began; nothing was committed.");
}
