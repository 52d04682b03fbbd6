using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>The rules of a foreign key on local writes: children need parents, deletes restrict or cascade.</summary>
public sealed class ForeignKeyTests
{
    [Fact]
    public void Put_ChildWithoutParent_ThrowsAndWritesNothing()
    {
        using var dir = new TempDir("fk-orphan");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        ledger.Account("alice");
        ledger.Transaction("t1", "alice");
        var batch = new WriteBatch();
        batch.Put(B("plain"), B("v"));
        batch.Put(ledger.Transactions, B("t2"), Ledger.Txn("bob"));
        var ex = Assert.Throws<ReferentialIntegrityException>(() => db.Write(batch));
        Assert.Equal("transaction-account", ex.ForeignKey);
        Assert.Equal("transactions", ex.ColumnFamily);
        Assert.Contains("'t2'", ex.Message);
        Assert.Contains("'bob'", ex.Message);
        Assert.Null(db.Get(B("plain")));
        Assert.Null(db.Get(ledger.Transactions, B("t2")));
    }

    [Fact]
    public void Write_ParentPutInSameBatch_Counts_ParentDeletedEarlierInBatch_Refused()
    {
        using var dir = new TempDir("fk-batch");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        var batch = new WriteBatch();
        batch.Put(ledger.Transactions, B("t1"), Ledger.Txn("carol"));
        batch.Put(ledger.Accounts, B("carol"), B("{}"));
        db.Write(batch);
        Assert.NotNull(db.Get(ledger.Transactions, B("t1")));

        ledger.Account("dave");
        var bad = new WriteBatch();
        bad.Delete(ledger.Accounts, B("dave"));
        bad.Put(ledger.Transactions, B("t2"), Ledger.Txn("dave"));
        Assert.Throws<ReferentialIntegrityException>(() => db.Write(bad));
        Assert.NotNull(db.Get(ledger.Accounts, B("dave")));
        Assert.Null(db.Get(ledger.Transactions, B("t2")));
    }

    [Fact]
    public void Delete_ParentWithChildren_Restrict_Refused_AfterChildrenGone_Allowed()
    {
        using var dir = new TempDir("fk-restrict");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        ledger.Account("alice");
        ledger.Transaction("t1", "alice");
        var ex = Assert.Throws<ReferentialIntegrityException>(() => db.Delete(ledger.Accounts, B("alice")));
        Assert.Equal("accounts", ex.ColumnFamily);
        Assert.NotNull(db.Get(ledger.Accounts, B("alice")));
        // Moving the child to another parent in the same batch frees the parent.
        ledger.Account("bob");
        var move = new WriteBatch();
        move.Put(ledger.Transactions, B("t1"), Ledger.Txn("bob"));
        move.Delete(ledger.Accounts, B("alice"));
        db.Write(move);
        Assert.Null(db.Get(ledger.Accounts, B("alice")));
        db.Delete(ledger.Transactions, B("t1"));
        db.Delete(ledger.Accounts, B("bob"));
        Assert.Null(db.Get(ledger.Accounts, B("bob")));
    }

    [Fact]
    public void Delete_ParentWithChildren_Cascade_DeletesChildrenAtomically_ThroughAChain()
    {
        using var dir = new TempDir("fk-cascade");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, ForeignKeyAction.Cascade);
        var notes = db.CreateColumnFamily("notes");
        db.AddForeignKey(new ForeignKeyDefinition { Name = "note-transaction", ChildFamily = notes, ParentKey = IndexExtractors.KeyBytes(0, 2), ParentFamily = ledger.Transactions, OnDelete = ForeignKeyAction.Cascade });
        ledger.Account("alice");
        ledger.Account("bob");
        ledger.Transaction("t1", "alice");
        ledger.Transaction("t2", "alice");
        ledger.Transaction("t3", "bob");
        db.Put(notes, B("t1/a"), B("note"));
        db.Put(notes, B("t3/a"), B("note"));
        db.Delete(ledger.Accounts, B("alice"));
        Assert.Null(db.Get(ledger.Transactions, B("t1")));
        Assert.Null(db.Get(ledger.Transactions, B("t2")));
        Assert.Null(db.Get(notes, B("t1/a")));
        Assert.NotNull(db.Get(ledger.Transactions, B("t3")));
        Assert.NotNull(db.Get(notes, B("t3/a")));
        ledger.AssertNoOrphans();
    }

    [Fact]
    public void Delete_Cascade_RestrictDeeperDown_RefusesTheWholeDelete()
    {
        using var dir = new TempDir("fk-cascade-restrict");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, ForeignKeyAction.Cascade);
        var receipts = db.CreateColumnFamily("receipts");
        db.AddForeignKey(new ForeignKeyDefinition { Name = "receipt-transaction", ChildFamily = receipts, ParentKey = IndexExtractors.ValueBytes(0), ParentFamily = ledger.Transactions, OnDelete = ForeignKeyAction.Restrict });
        ledger.Account("alice");
        ledger.Transaction("t1", "alice");
        db.Put(receipts, B("r1"), B("t1"));
        var ex = Assert.Throws<ReferentialIntegrityException>(() => db.Delete(ledger.Accounts, B("alice")));
        Assert.Equal("receipt-transaction", ex.ForeignKey);
        Assert.NotNull(db.Get(ledger.Accounts, B("alice")));
        Assert.NotNull(db.Get(ledger.Transactions, B("t1")));
    }

    [Fact]
    public void Hierarchy_FamilyIsItsOwnParent_CascadeEndsAndRootsAreAccepted()
    {
        using var dir = new TempDir("fk-tree");
        using var db = LatticeDb.Open(dir.Path);
        var nodes = db.CreateColumnFamily("nodes");
        db.AddForeignKey(new ForeignKeyDefinition { Name = "node-parent", ChildFamily = nodes, ParentKey = IndexExtractors.JsonField("$.parent"), ParentFamily = nodes, OnDelete = ForeignKeyAction.Cascade });
        db.Put(nodes, B("root"), B("{}"));
        db.Put(nodes, B("a"), B("{\"parent\":\"root\"}"));
        db.Put(nodes, B("b"), B("{\"parent\":\"a\"}"));
        db.Put(nodes, B("c"), B("{\"parent\":\"b\"}"));
        // A node that is its own parent (put in the same batch) and a cycle.
        db.Put(nodes, B("self"), B("{\"parent\":\"self\"}"));
        Assert.Throws<ReferentialIntegrityException>(() => db.Put(nodes, B("x"), B("{\"parent\":\"nowhere\"}")));
        db.Delete(nodes, B("a"));
        Assert.Null(db.Get(nodes, B("b")));
        Assert.Null(db.Get(nodes, B("c")));
        Assert.NotNull(db.Get(nodes, B("root")));
        db.Delete(nodes, B("self"));
        Assert.Null(db.Get(nodes, B("self")));
        Assert.True(db.VerifyIntegrity().IsConsistent);
    }

    [Fact]
    public void DeleteRange_OnParentFamily_Refused_OnChildFamily_Allowed()
    {
        using var dir = new TempDir("fk-range");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        ledger.Account("alice");
        ledger.Transaction("t1", "alice");
        var ex = Assert.Throws<InvalidArgumentException>(() => db.DeleteRange(ledger.Accounts, B("a"), B("z")));
        Assert.Contains("DeleteRange", ex.Message);
        db.DeleteRange(ledger.Transactions, B("t"), B("u"));
        Assert.Null(db.Get(ledger.Transactions, B("t1")));
        db.Delete(ledger.Accounts, B("alice"));
    }

    [Fact]
    public void Merge_IntoChild_RefusedWhenParentReadFromValue_AllowedWhenKeyOnly()
    {
        using var dir = new TempDir("fk-merge");
        var adding = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add };
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, familyOptions: adding);
        ledger.Account("alice");
        var ex = Assert.Throws<InvalidArgumentException>(() => db.Merge(ledger.Transactions, B("t1"), BitConverter.GetBytes(1L)));
        Assert.Contains("Merges into column family 'transactions'", ex.Message);

        var balances = db.CreateColumnFamily("balances", adding);
        db.AddForeignKey(new ForeignKeyDefinition { Name = "balance-account", ChildFamily = balances, ParentKey = IndexExtractors.KeyBytes(0, 5), ParentFamily = ledger.Accounts, OnDelete = ForeignKeyAction.Cascade });
        db.Merge(balances, B("alice/eur"), BitConverter.GetBytes(5L));
        db.Merge(balances, B("alice/eur"), BitConverter.GetBytes(7L));
        Assert.Equal(12L, BitConverter.ToInt64(db.Get(balances, B("alice/eur"))));
        Assert.Throws<ReferentialIntegrityException>(() => db.Merge(balances, B("bobby/eur"), BitConverter.GetBytes(1L)));
        db.Delete(ledger.Accounts, B("alice"));
        Assert.Null(db.Get(balances, B("alice/eur")));
    }

    [Fact]
    public void DropColumnFamily_NamedByForeignKey_RefusedUntilKeyDropped()
    {
        using var dir = new TempDir("fk-drop-family");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        var ex = Assert.Throws<InvalidArgumentException>(() => db.DropColumnFamily(ledger.Accounts));
        Assert.Contains("transaction-account", ex.Message);
        Assert.Throws<InvalidArgumentException>(() => db.DropColumnFamily(ledger.Transactions));
        db.DropForeignKey("transaction-account");
        Assert.Empty(db.ListForeignKeys());
        ledger.Transaction("t9", "nobody");
        db.DropColumnFamily(ledger.Transactions);
        db.DropColumnFamily(ledger.Accounts);
    }

    [Fact]
    public void AddForeignKey_Persists_OwnedIndexHidden_CustomExtractorNeedsResupplying()
    {
        using var dir = new TempDir("fk-persist");
        IndexKeySelector firstTwo = (key, _, keys) => keys.Add(key[..2].ToArray());
        using (var db = LatticeDb.Open(dir.Path))
        {
            var ledger = new Ledger(db);
            db.AddForeignKey(new ForeignKeyDefinition { Name = "custom", ChildFamily = db.CreateColumnFamily("tags"), ParentKey = IndexExtractors.Custom("first-two", firstTwo), ParentFamily = ledger.Accounts });
            Assert.Empty(db.ListIndexes());
            Assert.Throws<InvalidArgumentException>(() => db.CreateIndex(ledger.Transactions, new IndexDefinition { Name = "__fk.mine", Extractor = IndexExtractors.KeyBytes(0) }));
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            var keys = db.ListForeignKeys();
            Assert.Equal(["custom", "transaction-account"], keys.Select(k => k.Name));
            Assert.Equal(ForeignKeyAction.Restrict, keys[1].OnDelete);
            Assert.Equal("transactions", keys[1].ChildFamily.Name);
            Assert.Throws<ReferentialIntegrityException>(() => db.Put(db.GetColumnFamily("transactions"), B("t1"), Ledger.Txn("nobody")));
            // The custom extractor was not supplied: its child family cannot be written, and verify says so.
            Assert.Throws<InvalidArgumentException>(() => db.Put(db.GetColumnFamily("tags"), B("ab1"), B("x")));
            Assert.Single(db.VerifyIntegrity().NotCheckable);
        }
        var options = new DbOptions();
        options.IndexExtractors["first-two"] = IndexExtractors.Custom("first-two", firstTwo);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            db.Put(db.GetColumnFamily("accounts"), B("ab"), B("{}"));
            db.Put(db.GetColumnFamily("tags"), B("ab1"), B("x"));
            Assert.Throws<ReferentialIntegrityException>(() => db.Put(db.GetColumnFamily("tags"), B("cd1"), B("x")));
            Assert.True(db.VerifyIntegrity().IsConsistent);
        }
    }

    [Fact]
    public void AddForeignKey_OverViolatingData_ReportsEveryViolationAndEnforcesNothing()
    {
        using var dir = new TempDir("fk-add-violations");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, addKey: false);
        ledger.Account("alice");
        ledger.Transaction("t1", "alice");
        ledger.Transaction("t2", "ghost");
        ledger.Transaction("t3", "phantom");
        ledger.Transaction("t4", "ghost");
        var ex = Assert.Throws<ReferentialIntegrityException>(() => ledger.AddKey());
        Assert.Equal(["t2", "t3", "t4"], ex.Violations.Select(v => S(v.ChildKey)));
        Assert.Equal(["ghost", "phantom", "ghost"], ex.Violations.Select(v => S(v.ParentKey)));
        Assert.Empty(db.ListForeignKeys());
        Assert.Empty(db.ListIndexes());
        Assert.False(db.TryGetFamilyAnyName("__lkv/index/__fk.transaction-account", out _));
        // Nothing enforced: orphans and parent deletes go through.
        ledger.Transaction("t5", "nobody");
        db.Delete(ledger.Accounts, B("alice"));
        // Fixed data: the key is added, and then enforced.
        foreach (var id in new[] { "ghost", "phantom", "nobody", "alice" }) ledger.Account(id);
        ledger.AddKey();
        Assert.Throws<ReferentialIntegrityException>(() => db.Delete(ledger.Accounts, B("ghost")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Transaction_ChildWithoutParent_RolledBack_CascadeInCommit(bool pessimistic)
    {
        using var dir = new TempDir("fk-txn");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, ForeignKeyAction.Cascade);
        ledger.Account("alice");
        using (var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic }))
        {
            txn.Put(ledger.Transactions, B("t1"), Ledger.Txn("alice"));
            txn.Put(ledger.Transactions, B("t2"), Ledger.Txn("bob"));
            txn.Put(ledger.Accounts, B("bob"), B("{}"));
            txn.Commit();
        }
        using (var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic }))
        {
            txn.Put(ledger.Transactions, B("t3"), Ledger.Txn("nobody"));
            txn.Put(B("plain"), B("v"));
            Assert.Throws<ReferentialIntegrityException>(() => txn.Commit());
        }
        Assert.Null(db.Get(B("plain")));
        using (var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic }))
        {
            txn.Delete(ledger.Accounts, B("alice"));
            txn.Commit();
        }
        Assert.Null(db.Get(ledger.Transactions, B("t1")));
        Assert.NotNull(db.Get(ledger.Transactions, B("t2")));
        ledger.AssertNoOrphans();
    }

    [Fact]
    public void EncryptedFamilies_Work_AndExceptionsShowNoKeyBytes()
    {
        using var dir = new TempDir("fk-encrypted");
        var options = new DbOptions { Encryption = EncryptionOptions.FromKey(new byte[32]) };
        using var db = LatticeDb.Open(dir.Path, options);
        var ledger = new Ledger(db);
        ledger.Account("secret-account");
        ledger.Transaction("secret-txn", "secret-account");
        var put = Assert.Throws<ReferentialIntegrityException>(() => ledger.Transaction("secret-orphan", "secret-missing"));
        var delete = Assert.Throws<ReferentialIntegrityException>(() => db.Delete(ledger.Accounts, B("secret-account")));
        db.Put(ledger.Transactions, B("secret-txn"), Ledger.Txn("secret-account", 2));
        foreach (var message in new[] { put.Message, delete.Message, put.ToString(), delete.ToString() })
            Assert.DoesNotContain("secret", message);
        Assert.Contains("not shown", put.Message);
    }
}
