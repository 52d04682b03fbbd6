using System.Text;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Migrations;

/// <summary><see cref="MigrationSteps.AddValidator"/> and <see cref="MigrationSteps.AddForeignKey"/>: verified, enforced once committed, rolled back on a violation.</summary>
public sealed class ConstraintStepsTests
{
    // Version 2 of accounts (after the split) starts "first="; version 1 "name=".
    private static readonly IValueValidator SplitShape = ValueValidators.ValuePattern("^first=[^;]+;last=");
    private static readonly IValueValidator NameShape = ValueValidators.ValuePattern("^name=");

    private static DbOptions Options(IValueValidator? accountsValidator, params Migration[] steps)
    {
        var options = new DbOptions();
        if (accountsValidator is not null) options.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Validator = accountsValidator };
        options.Migrations.Add(Ledger.Initial());
        foreach (var s in steps) options.Migrations.Add(s);
        return options;
    }

    private static byte[] Txn(int account) => Encoding.UTF8.GetBytes($"{{\"account\":\"{Encoding.UTF8.GetString(Ledger.Key(account))}\",\"amount\":1}}");

    /// <summary>The ledger at version 1 with <paramref name="accounts"/> accounts and a transactions family referring to them (and to <paramref name="orphans"/> missing accounts).</summary>
    private static void CreateWithTransactions(string path, int accounts, int transactions, params int[] orphans)
    {
        Ledger.Create(path, accounts);
        using var db = LatticeDb.Open(path);
        var txns = db.CreateColumnFamily("transactions");
        for (int i = 0; i < transactions; i++) db.Put(txns, Encoding.UTF8.GetBytes($"txn/{i:D5}"), Txn(i % accounts));
        foreach (int o in orphans) db.Put(txns, Encoding.UTF8.GetBytes($"txn/orphan{o}"), Txn(o));
    }

    private static Migration AddTransactionKey(int from, int to) => MigrationSteps.AddForeignKey(
        "transactions", from, to, "transaction-account", IndexExtractors.JsonField("$.account"), "accounts");

    /// <summary>The ledger with the key "transaction-account" added outside any migration; returns options whose migration adds it (0 -> 1, Restrict).</summary>
    private static DbOptions WithKeyAddedByHand(string path, ForeignKeyAction onDelete)
    {
        CreateWithTransactions(path, 50, 100);
        using (var db = LatticeDb.Open(path))
            db.AddForeignKey(new ForeignKeyDefinition { Name = "transaction-account", ChildFamily = db.GetColumnFamily("transactions"), ParentKey = IndexExtractors.JsonField("$.account"), ParentFamily = db.GetColumnFamily("accounts"), OnDelete = onDelete });
        var options = new DbOptions();
        options.Migrations.Add(AddTransactionKey(0, 1));
        return options;
    }

    [Fact]
    public void AddValidator_AfterSplit_CommitsAndEnforcesFromThenOn()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 1200);
        var step = MigrationSteps.AddValidator("accounts", 2, 3, SplitShape);
        using (var db = LatticeDb.Open(path, Options(SplitShape, Ledger.SplitName(), step)))
        {
            var accounts = db.GetColumnFamily("accounts");
            Assert.Equal(3, db.GetSchemaVersion(accounts));
            Assert.Equal(Ledger.V2(5), db.Get(accounts, Ledger.Key(5)));
            Assert.Throws<ValidationException>(() => db.Put(accounts, Ledger.Key(5), Ledger.V1(5)));
        }
        // A later open leaving Validator unset keeps the stored one.
        using (var db = LatticeDb.Open(path))
        {
            var accounts = db.GetColumnFamily("accounts");
            Assert.Throws<ValidationException>(() => db.Put(accounts, Ledger.Key(5), Ledger.V1(5)));
            Assert.Equal(3, db.GetSchemaVersion(accounts));
        }
    }

    [Fact]
    public void AddValidator_InvalidValues_RollsBackAndListsEveryViolation()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 300);
        List<string> before;
        using (var db = LatticeDb.Open(path))
        {
            var accounts = db.GetColumnFamily("accounts");
            foreach (int i in new[] { 7, 150, 299 }) db.Put(accounts, Ledger.Key(i), "balance=0"u8);
            before = Ledger.Dump(db);
        }
        var step = MigrationSteps.AddValidator("accounts", 1, 2, NameShape);
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, Options(NameShape, step)));
        Assert.Equal(step.Name, ex.StepName);
        Assert.Contains(step.Name, ex.Message);
        var inner = Assert.IsType<ValidationException>(ex.InnerException);
        Assert.Equal(3, inner.ViolationCount);
        Assert.Equal([Ledger.Key(7), Ledger.Key(150), Ledger.Key(299)], inner.Violations.Select(v => v.Key));
        Assert.All(inner.Violations, v => Assert.Equal("accounts", v.ColumnFamily));
        Assert.Contains("key 'account/0000007'", ex.Message);
        using (var db = LatticeDb.Open(path))
        {
            Assert.Equal(before, Ledger.Dump(db));
            Assert.Equal(1, db.GetSchemaVersion(db.GetColumnFamily("accounts")));
            // The data is as it was; the validator given at the failed open stays stored (as any option given then), so new writes are checked.
            Assert.Throws<ValidationException>(() => db.Put(db.GetColumnFamily("accounts"), Ledger.Key(8), "balance=1"u8));
        }
        var withoutValidator = new DbOptions();
        withoutValidator.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Validator = null };
        using (var db = LatticeDb.Open(path, withoutValidator))
            db.Put(db.GetColumnFamily("accounts"), Ledger.Key(8), "balance=1"u8);
    }

    [Fact]
    public void AddValidator_ManyViolations_ListsABoundedNumberAndCountsAll()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 400);
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, Options(SplitShape, MigrationSteps.AddValidator("accounts", 1, 2, SplitShape))));
        var inner = Assert.IsType<ValidationException>(ex.InnerException);
        Assert.Equal(400, inner.ViolationCount);
        Assert.Equal(100, inner.Violations.Count);
        Assert.Contains("400 existing values", ex.Message);
    }

    [Fact]
    public void AddValidator_FamilyOpenedWithoutTheValidator_FailsTheStep()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Ledger.Create(path, 50);
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, Options(null, MigrationSteps.AddValidator("accounts", 1, 2, NameShape))));
        Assert.Contains("ColumnFamilyOptions.Validator", ex.InnerException!.Message);
        ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, Options(SplitShape, MigrationSteps.AddValidator("accounts", 1, 2, NameShape))));
        Assert.Contains("with another validator", ex.InnerException!.Message);
        using var db = LatticeDb.Open(path);
        Assert.Equal(1, db.GetSchemaVersion(db.GetColumnFamily("accounts")));
    }

    [Fact]
    public void AddValidator_EncryptedFamily_MessageQuotesNoKey()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        var encryption = EncryptionOptions.FromKey(new byte[32]);
        var create = new DbOptions { Encryption = encryption };
        create.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Encrypted = true };
        Ledger.Create(path, 20, create);
        var options = Options(null, MigrationSteps.AddValidator("accounts", 1, 2, SplitShape));
        options.Encryption = encryption;
        options.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Encrypted = true, Validator = SplitShape };
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, options));
        Assert.DoesNotContain("account/", ex.ToString());
        Assert.DoesNotContain("Given", ex.ToString());
        Assert.Equal(20, ((ValidationException)ex.InnerException!).ViolationCount);
    }

    [Fact]
    public void AddForeignKey_ValidData_CommitsAndEnforces()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        CreateWithTransactions(path, 200, 500);
        var options = new DbOptions();
        options.Migrations.Add(AddTransactionKey(0, 1));
        using (var db = LatticeDb.Open(path, options))
        {
            var txns = db.GetColumnFamily("transactions");
            Assert.Equal(1, db.GetSchemaVersion(txns));
            Assert.Equal("transaction-account", Assert.Single(db.ListForeignKeys()).Name);
            Assert.Throws<ReferentialIntegrityException>(() => db.Put(txns, "txn/new"u8, Txn(999)));
        }
        // Stored: enforced at the next open with no option.
        using (var db = LatticeDb.Open(path))
            Assert.Throws<ReferentialIntegrityException>(() => db.Put(db.GetColumnFamily("transactions"), "txn/new"u8, Txn(999)));
    }

    [Fact]
    public void AddForeignKey_Orphans_RollsBackAndListsEveryViolation()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        CreateWithTransactions(path, 100, 300, 500, 501);
        List<string> before;
        using (var db = LatticeDb.Open(path)) before = Ledger.Dump(db);
        var options = new DbOptions();
        var step = AddTransactionKey(0, 1);
        options.Migrations.Add(step);
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, options));
        Assert.Equal(step.Name, ex.StepName);
        var inner = Assert.IsType<ReferentialIntegrityException>(ex.InnerException);
        Assert.Equal(["txn/orphan500", "txn/orphan501"], inner.Violations.Select(v => Encoding.UTF8.GetString(v.ChildKey)).Order());
        using (var db = LatticeDb.Open(path))
        {
            Assert.Equal(before, Ledger.Dump(db));
            Assert.Empty(db.ListForeignKeys());
            Assert.Equal(0, db.GetSchemaVersion(db.GetColumnFamily("transactions")));
        }
    }

    [Fact]
    public void AddForeignKey_KeyAlreadyAddedBeforeTheStepCommitted_IsKeptAndTheStepCommits()
    {
        // What a crash after AddForeignKey returned and before the step committed leaves: the key, and the step still to run.
        using var dir = new TempDir();
        string path = dir.Sub("db");
        var options = WithKeyAddedByHand(path, ForeignKeyAction.Restrict);
        using (var db = LatticeDb.Open(path, options))
        {
            Assert.Equal(1, db.GetSchemaVersion(db.GetColumnFamily("transactions")));
            Assert.Single(db.ListForeignKeys());
        }
    }

    [Fact]
    public void AddForeignKey_SameNameOtherDefinition_FailsTheStep()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        var options = WithKeyAddedByHand(path, ForeignKeyAction.Cascade);
        var ex = Assert.Throws<MigrationException>(() => LatticeDb.Open(path, options));
        Assert.Contains("another definition", ex.Message);
    }
}
