using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

public sealed class UniqueIndexTests
{
    private static byte[] User(string email) => B($"{{\"email\":\"{email}\"}}");

    private static IndexHandle ByEmail(LatticeDb db)
    {
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "by-email", Extractor = IndexExtractors.JsonField("$.email"), Unique = true });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        return index;
    }

    [Fact]
    public void Put_SecondKeyWithSameIndexKey_ThrowsAndWritesNothing()
    {
        using var dir = new TempDir("unique-basic");
        using var db = LatticeDb.Open(dir.Path);
        ByEmail(db);
        db.Put(B("u1"), User("a@x"));
        db.Put(B("u1"), User("a@x")); // the same owner may write it again
        var batch = new WriteBatch();
        batch.Put(B("u2"), User("a@x"));
        batch.Put(B("other"), B("not indexed"));
        Assert.Throws<UniqueConstraintException>(() => db.Write(batch));
        Assert.Null(db.Get(B("u2")));
        Assert.Null(db.Get(B("other")));
    }

    [Fact]
    public void Write_TwoKeysInOneBatchWithSameIndexKey_Throws()
    {
        using var dir = new TempDir("unique-batch");
        using var db = LatticeDb.Open(dir.Path);
        ByEmail(db);
        var batch = new WriteBatch();
        batch.Put(B("u1"), User("b@x"));
        batch.Put(B("u2"), User("b@x"));
        Assert.Throws<UniqueConstraintException>(() => db.Write(batch));
        Assert.Null(db.Get(B("u1")));
        Assert.Null(db.Get(B("u2")));
    }

    [Fact]
    public void Write_BatchMovingIndexKeyToAnotherPrimary_IsAllowed()
    {
        using var dir = new TempDir("unique-move");
        using var db = LatticeDb.Open(dir.Path);
        var index = ByEmail(db);
        db.Put(B("u1"), User("c@x"));
        var batch = new WriteBatch();
        batch.Put(B("u1"), User("other@x"));
        batch.Put(B("u2"), User("c@x"));
        db.Write(batch);
        db.Delete(B("u2"));
        db.Put(B("u3"), User("c@x")); // freed by the delete
        using var it = db.QueryIndexPrefix(index, B("c@x"));
        Assert.Equal(["u3"], Read(it, reverse: false).Select(r => r.Split('/', '=')[1]));
    }

    [Fact]
    public void Put_EightConcurrentWriters_EachIndexKeyGetsExactlyOneOwner()
    {
        // Each round all eight writers race for the same new email (a barrier starts them together);
        // exactly one must win it, whatever the interleaving.
        using var dir = new TempDir("unique-race");
        using var db = LatticeDb.Open(dir.Path);
        var index = ByEmail(db);
        const int Rounds = 500;
        var wins = new int[Rounds];
        using var start = new Barrier(8);
        using var threads = new TestThreads();
        threads.Start(8, "writer", t =>
        {
            for (int round = 0; round < Rounds; round++)
            {
                start.SignalAndWait();
                try
                {
                    db.Put(B($"user-{t}-{round}"), User($"e{round}@x"));
                    Interlocked.Increment(ref wins[round]);
                }
                catch (UniqueConstraintException)
                {
                }
            }
        });
        threads.JoinAndRethrow();
        Assert.All(wins, w => Assert.Equal(1, w));
        for (int round = 0; round < Rounds; round++)
        {
            using var it = db.QueryIndexPrefix(index, B($"e{round}@x"));
            Assert.Single(Read(it, reverse: false));
        }
        Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
    }

    [Fact]
    public void CreateIndex_ExistingDuplicates_BuildFails()
    {
        using var dir = new TempDir("unique-existing");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("u1"), User("d@x"));
        db.Put(B("u2"), User("d@x"));
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "by-email", Extractor = IndexExtractors.JsonField("$.email"), Unique = true });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        Assert.Equal(IndexState.Failed, index.State);
        var ex = Assert.Throws<IndexNotReadyException>(() => db.QueryIndexPrefix(index, B("d@x")));
        Assert.True(ex.BuildFailed);
        db.DropIndex(index);
        Assert.Empty(db.ListIndexes());
    }
}
