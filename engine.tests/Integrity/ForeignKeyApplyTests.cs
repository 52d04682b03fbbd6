using LatticeKV.Integrity;
using LatticeKV.Keys;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>The entry point the remote apply uses: what an applied batch leaves broken, before it is written.</summary>
public sealed class ForeignKeyApplyTests
{
    [Fact]
    public void AppliedBatch_FindsChildrenOfDeletedParentsAndOrphanedChildren()
    {
        using var dir = new TempDir("fk-apply");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        ledger.Account("alice");
        ledger.Account("bob");
        ledger.Transaction("t1", "alice");
        ledger.Transaction("t2", "alice");
        ledger.Transaction("t3", "bob");

        var applied = new BatchChanges();
        applied.Record(ledger.Accounts.Id, ValueKind.Deletion, B("alice"), []);
        applied.Record(ledger.Transactions.Id, ValueKind.Deletion, B("t2"), []);          // the batch deletes one child itself
        applied.Record(ledger.Transactions.Id, ValueKind.Value, B("t4"), Ledger.Txn("carol"));
        applied.Record(ledger.Transactions.Id, ValueKind.Value, B("t5"), Ledger.Txn("dave"));
        applied.Record(ledger.Accounts.Id, ValueKind.Value, B("dave"), B("{}"));           // t5's parent comes with it

        var children = ForeignKeyApply.ChildrenOfDeletedParents(db, applied, view: null);
        Assert.Equal([("transaction-account", "alice", "t1")], children.Select(c => (c.Key.Name, S(c.Parent), S(c.Child))));
        var orphans = ForeignKeyApply.OrphanedChildren(db, applied, view: null);
        Assert.Equal([("t4", "carol")], orphans.Select(o => (S(o.ChildKey), S(o.ParentKey))));

        // Read as of a snapshot taken before t1 moved to bob: the view decides.
        using var before = db.GetSnapshot();
        db.Put(ledger.Transactions, B("t1"), Ledger.Txn("bob"));
        Assert.Single(ForeignKeyApply.ChildrenOfDeletedParents(db, applied, new ReadOptions { Snapshot = before }));
        Assert.Empty(ForeignKeyApply.ChildrenOfDeletedParents(db, applied, view: null));
    }
}
