using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>A commit goes through the write path's stages: index entries join it, unique constraints judge it with the conflict check.</summary>
public sealed class TransactionIndexTests
{
    private static byte[] User(string email) => B($"{{\"email\":\"{email}\"}}");

    private static IndexHandle ByEmail(LatticeDb db)
    {
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "by-email", Extractor = IndexExtractors.JsonField("$.email"), Unique = true });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        return index;
    }

    private static List<string> Owners(LatticeDb db, IndexHandle index, string email)
    {
        var owners = new List<string>();
        using var it = db.QueryIndexPrefix(index, B(email));
        for (it.SeekToFirst(); it.Valid; it.Next()) owners.Add(S(it.PrimaryKey.ToArray())!);
        return owners;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Commit_IndexedPuts_EntriesWrittenWithTheData_UniqueViolationWritesNothing(bool pessimistic)
    {
        using var dir = new TempDir("txn-index");
        using var db = LatticeDb.Open(dir.Path);
        var index = ByEmail(db);
        using (var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic }))
        {
            txn.Put(B("u1"), User("a@x"));
            txn.Put(B("u2"), User("b@x"));
            txn.Commit();
        }
        Assert.Equal(["u1"], Owners(db, index, "a@x"));
        using var clash = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic });
        clash.Put(B("u3"), User("a@x"));       // a@x belongs to u1
        clash.Put(B("plain"), B("not indexed"));
        Assert.Throws<UniqueConstraintException>(() => clash.Commit());
        Assert.Equal(TransactionState.RolledBack, clash.State);
        Assert.Null(db.Get(B("u3")));
        Assert.Null(db.Get(B("plain")));
        Assert.Equal(["u1"], Owners(db, index, "a@x"));
    }

    [Fact]
    public void Commit_KeyReadChangedInIndexedFamily_ConflictsAndIndexKeepsTheOtherWrite()
    {
        using var dir = new TempDir("txn-index-conflict");
        using var db = LatticeDb.Open(dir.Path);
        var index = ByEmail(db);
        db.Put(B("u1"), User("a@x"));
        using var txn = db.BeginTransaction();
        Assert.NotNull(txn.Get(B("u1")));
        txn.Put(B("u1"), User("c@x"));
        db.Put(B("u1"), User("d@x"));          // the key read changed
        Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Equal(["u1"], Owners(db, index, "d@x"));
        Assert.Empty(Owners(db, index, "c@x"));
    }
}
