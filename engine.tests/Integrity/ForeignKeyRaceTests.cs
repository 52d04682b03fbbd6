using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>
/// Child inserts and their parents' deletes at the same moment, from many threads, plain writes
/// and transactions: never a child without its parent (the decision is made at commit; a check
/// made only in stage 1 lets both succeed).
/// </summary>
public sealed class ForeignKeyRaceTests(ITestOutputHelper output)
{
    private const int Parents = 6;
    private const int Children = 12;

    [Theory]
    [InlineData(ForeignKeyAction.Restrict)]
    [InlineData(ForeignKeyAction.Cascade)]
    public void ConcurrentChildInsertsAndParentDeletes_NeverLeaveAnOrphan(ForeignKeyAction onDelete)
    {
        int seed = TestSeed.Get(Environment.TickCount);
        output.WriteLine($"seed {seed} (LKV_SEED to replay)");
        using var dir = new TempDir("fk-race");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, onDelete);
        for (int p = 0; p < Parents; p++) ledger.Account("a" + p);
        int rounds = 2000 * TestSeed.Scale;
        long inserted = 0, deleted = 0, refused = 0;
        using var threads = new TestThreads();
        threads.Start(8, "writer", t =>
        {
            var rnd = new Random(seed + t);
            for (int i = 0; i < rounds; i++)
            {
                string parent = "a" + rnd.Next(Parents);
                // Few children, moving between parents and deleted: parents are often free to delete.
                string child = "t" + rnd.Next(Children);
                try
                {
                    switch (rnd.Next(8))
                    {
                        case 0 or 1:
                            db.Delete(ledger.Accounts, B(parent));
                            Interlocked.Increment(ref deleted);
                            break;
                        case 2 or 3:
                            ledger.Account(parent);
                            break;
                        case 4:
                            db.Delete(ledger.Transactions, B(child));
                            break;
                        case 5:
                            using (var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = t % 2 == 0 }))
                            {
                                txn.Put(ledger.Transactions, B(child), Ledger.Txn(parent));
                                txn.Commit();
                            }
                            Interlocked.Increment(ref inserted);
                            break;
                        default:
                            ledger.Transaction(child, parent);
                            Interlocked.Increment(ref inserted);
                            break;
                    }
                }
                catch (Exception ex) when (ex is ReferentialIntegrityException or TransactionConflictException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });
        threads.JoinAndRethrow();
        output.WriteLine($"{inserted} children inserted, {deleted} parents deleted, {refused} refused");
        Assert.True(inserted > 0 && deleted > 0 && refused > 0, "the workload must both succeed and be refused");
        ledger.AssertNoOrphans();
    }
}

/// <summary>
/// The race made certain: a child write is held in stage 1 (after the foreign key stage) while
/// its parent is deleted; the child must then be refused, which only a decision at commit does.
/// </summary>
public sealed class ForeignKeyCommitDecisionTests
{
    private sealed class HoldOnce(ColumnFamilyHandle family) : LatticeKV.Db.IWriteStage
    {
        public readonly ManualResetEventSlim Reached = new();
        public readonly ManualResetEventSlim Release = new();
        private int _held;

        public WriteBatch Prepare(WriteBatch batch, ref LatticeKV.Db.ICommitCheck? check)
        {
            if (batch.ColumnFamilyIds.Contains(family.Id) && Interlocked.Exchange(ref _held, 1) == 0)
            {
                Reached.Set();
                Release.Wait();
            }
            return batch;
        }
    }

    [Fact]
    public void ChildHeldAfterStageOneWhileParentDeleted_IsRefusedAtCommit()
    {
        using var dir = new TempDir("fk-commit-decision");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db);
        ledger.Account("alice");
        var hold = new HoldOnce(ledger.Transactions);
        db.AddWriteStage(hold, LatticeKV.Db.WriteStageOrder.Replication);
        Exception? childError = null;
        using var threads = new TestThreads();
        threads.Stopping.Register(hold.Release.Set);
        threads.Start("child", () =>
        {
            try { ledger.Transaction("t1", "alice"); }
            catch (Exception ex) { childError = ex; }
        });
        threads.Wait(hold.Reached, "the child never reached the held stage", TimeSpan.FromSeconds(30));
        db.Delete(ledger.Accounts, B("alice"));     // no child yet: allowed
        hold.Release.Set();
        threads.JoinAndRethrow();
        Assert.IsType<ReferentialIntegrityException>(childError);
        Assert.Null(db.Get(ledger.Transactions, B("t1")));
        ledger.AssertNoOrphans();
    }

    [Theory]
    [InlineData(ForeignKeyAction.Restrict)]
    [InlineData(ForeignKeyAction.Cascade)]
    public void ParentDeleteHeldAfterStageOneWhileChildInserted_RefusedOrCascadePreparedAgain(ForeignKeyAction onDelete)
    {
        using var dir = new TempDir("fk-commit-cascade");
        using var db = LatticeDb.Open(dir.Path);
        var ledger = new Ledger(db, onDelete);
        ledger.Account("alice");
        // Restrict: no child at stage 1, so the delete passes it; Cascade: one child it prepares to delete.
        if (onDelete == ForeignKeyAction.Cascade) ledger.Transaction("t1", "alice");
        var hold = new HoldOnce(ledger.Accounts);
        db.AddWriteStage(hold, LatticeKV.Db.WriteStageOrder.Replication);
        Exception? deleteError = null;
        using var threads = new TestThreads();
        threads.Stopping.Register(hold.Release.Set);
        threads.Start("parent delete", () =>
        {
            try { db.Delete(ledger.Accounts, B("alice")); }
            catch (Exception ex) { deleteError = ex; }
        });
        threads.Wait(hold.Reached, "the delete never reached the held stage", TimeSpan.FromSeconds(30));
        ledger.Transaction("t2", "alice");           // a child stage 1 of the delete did not see
        hold.Release.Set();
        threads.JoinAndRethrow();
        if (onDelete == ForeignKeyAction.Restrict)
        {
            Assert.IsType<ReferentialIntegrityException>(deleteError);
            Assert.NotNull(db.Get(ledger.Accounts, B("alice")));
        }
        else
        {
            Assert.Null(deleteError);
            Assert.Null(db.Get(ledger.Transactions, B("t1")));
            Assert.Null(db.Get(ledger.Transactions, B("t2")));
        }
        ledger.AssertNoOrphans();
    }
}
