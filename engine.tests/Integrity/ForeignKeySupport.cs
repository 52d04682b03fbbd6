using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>The ledger of the README: accounts, and transactions referring to accounts by "$.account".</summary>
internal sealed class Ledger
{
    public Ledger(LatticeDb db, ForeignKeyAction onDelete = ForeignKeyAction.Restrict, bool addKey = true, ColumnFamilyOptions? familyOptions = null)
    {
        Db = db;
        Accounts = db.CreateColumnFamily("accounts", familyOptions);
        Transactions = db.CreateColumnFamily("transactions", familyOptions);
        if (addKey) AddKey(onDelete);
    }

    public LatticeDb Db { get; }
    public ColumnFamilyHandle Accounts { get; }
    public ColumnFamilyHandle Transactions { get; }

    public void AddKey(ForeignKeyAction onDelete = ForeignKeyAction.Restrict) => Db.AddForeignKey(new ForeignKeyDefinition
    {
        Name = "transaction-account",
        ChildFamily = Transactions,
        ParentKey = IndexExtractors.JsonField("$.account"),
        ParentFamily = Accounts,
        OnDelete = onDelete,
    });

    public static byte[] Txn(string account, int amount = 1) => B($"{{\"account\":\"{account}\",\"amount\":{amount}}}");

    public void Account(string id) => Db.Put(Accounts, B(id), B("{}"));

    public void Transaction(string id, string account) => Db.Put(Transactions, B(id), Txn(account));

    /// <summary>Every transaction's account exists (read as of one snapshot).</summary>
    public void AssertNoOrphans()
    {
        var report = Db.VerifyIntegrity();
        Assert.True(report.IsConsistent, string.Join("; ", report.Violations));
    }
}
