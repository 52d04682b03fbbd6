using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>
/// Optimistic commits queued together form one write group: a transaction must still conflict
/// with a write ahead of it in the same group (not yet in the memtables). The write ahead is a
/// plain one: another optimistic commit writing the key would hold its lock, so the two could
/// not queue together.
/// </summary>
public sealed class OptimisticGroupCommitTests
{
    public enum Touch
    {
        Read,
        Iterated,
        Written,
    }

    [Theory]
    [InlineData(Touch.Read)]
    [InlineData(Touch.Iterated)]
    [InlineData(Touch.Written)]
    public void ACommitBehindAnotherInItsGroup_ConflictsWithAWriteAheadOfItInItsGroup(Touch touch)
    {
        using var dir = new TempDir("txn-group");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("a"), B("0"));
        using var behind = db.BeginTransaction();
        switch (touch)
        {
            case Touch.Read:
                Assert.Equal("0", S(behind.Get(B("a"))));
                break;
            case Touch.Iterated:
                using (var it = behind.NewIterator(new ReadOptions { IterateUpperBound = B("b") })) // not over the held write's key
                {
                    it.Seek(B("0"));
                    Assert.True(it.Valid);
                    it.Next();
                    Assert.False(it.Valid);
                }
                break;
            case Touch.Written:
                behind.Put(B("a"), B("blind"));
                break;
        }
        behind.Put(B("c"), B("1"));

        Exception? conflict = null;
        using var threads = new TestThreads();
        var gate = GroupCommitCheckTests.QueueBehindHeldLeader(db, threads,
            () => db.Put(B("a"), B("01")),
            () => conflict = Record.Exception(() => behind.Commit()));
        long groupsBefore = db.GetStatistics()["write.groups"];
        gate.Release.Set();
        threads.JoinAndRethrow();

        Assert.IsType<TransactionConflictException>(conflict);
        Assert.Equal(TransactionState.RolledBack, behind.State);
        Assert.Equal("01", S(db.Get(B("a"))));
        Assert.Null(db.Get(B("c")));
        Assert.Equal(2, db.GetStatistics()["write.groups"] - groupsBefore); // the write and the commit shared a group
    }

    [Fact]
    public void CommitsOfDisjointKeysQueuedTogether_AllCommitInOneGroup()
    {
        using var dir = new TempDir("txn-group-disjoint");
        using var db = LatticeDb.Open(dir.Path);
        var txns = Enumerable.Range(0, 4).Select(i =>
        {
            var t = db.BeginTransaction();
            Assert.Null(t.GetForUpdate(B($"k{i}")));
            t.Put(B($"k{i}"), B($"v{i}"));
            return t;
        }).ToList();
        using var threads = new TestThreads();
        var gate = GroupCommitCheckTests.QueueBehindHeldLeader(db, threads, [.. txns.Select(t => (Action)(() => t.Commit()))]);
        long groupsBefore = db.GetStatistics()["write.groups"];
        gate.Release.Set();
        threads.JoinAndRethrow();

        Assert.All(txns, t => Assert.Equal(TransactionState.Committed, t.State));
        for (int i = 0; i < 4; i++) Assert.Equal($"v{i}", S(db.Get(B($"k{i}"))));
        Assert.Equal(2, db.GetStatistics()["write.groups"] - groupsBefore);
        txns.ForEach(t => t.Dispose());
    }
}
