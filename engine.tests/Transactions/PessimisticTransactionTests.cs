using System.Diagnostics;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>Pessimistic transactions: key locks held to the end, deadlocks detected, lock waits bounded.</summary>
public sealed class PessimisticTransactionTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(10);

    private static TransactionOptions Pessimistic(TimeSpan? timeout = null) => new() { Pessimistic = true, LockTimeout = timeout ?? Long };

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void LocksTakenInACycle_ExactlyOneRequestFailsAsDeadlock_TheOthersCommit(int transactions)
    {
        using var dir = new TempDir("txn-deadlock");
        using var db = LatticeDb.Open(dir.Path);
        using var holding = new Barrier(transactions);
        var outcomes = new string[transactions];
        var clock = Stopwatch.StartNew();
        using var threads = new TestThreads();
        threads.Start(transactions, "transaction", i =>
        {
            using var txn = db.BeginTransaction(Pessimistic());
            txn.Put(B("k" + i), B("t" + i));
            holding.SignalAndWait(); // every transaction holds its own key
            try
            {
                txn.GetForUpdate(B("k" + ((i + 1) % transactions)));
                txn.Commit();
                outcomes[i] = "committed";
            }
            catch (TransactionDeadlockException)
            {
                outcomes[i] = "deadlock";
                txn.Rollback(); // releases its key: the cycle is broken
            }
            catch (Exception ex)
            {
                outcomes[i] = ex.GetType().Name;
            }
        });
        threads.JoinAndRethrow();
        Assert.True(outcomes.Count(o => o == "deadlock") == 1, "outcomes: " + string.Join(", ", outcomes));
        Assert.Equal(transactions - 1, outcomes.Count(o => o == "committed"));
        Assert.True(clock.Elapsed < Long, "a deadlock was resolved by the timeout, not detected");
        int loser = Array.IndexOf(outcomes, "deadlock");
        for (int i = 0; i < transactions; i++) Assert.Equal(i == loser ? null : "t" + i, S(db.Get(B("k" + i))));
    }

    [Fact]
    public void LockHeldByAnother_WaitExceedsTimeout_TimesOutAndStaysUsable()
    {
        using var dir = new TempDir("txn-timeout");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("a"), B("0"));
        using var holder = db.BeginTransaction(Pessimistic());
        holder.Put(B("a"), B("1"));
        using var waiter = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(50)));
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<TransactionTimeoutException>(() => waiter.GetForUpdate(B("a")));
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(50), $"gave up after {clock.Elapsed}");
        Assert.IsAssignableFrom<TransactionConflictException>(error);
        Assert.Contains("'default'", error.Message);
        Assert.Equal(TransactionState.Active, waiter.State);
        holder.Commit();
        Assert.Equal("1", S(waiter.GetForUpdate(B("a")))); // the lock is free and the read is the latest
        waiter.Put(B("a"), B("2"));
        waiter.Commit();
        Assert.Equal("2", S(db.Get(B("a"))));
    }

    [Fact]
    public void GetForUpdate_WaitsForTheHoldersCommit_AndReadsItsValue()
    {
        using var dir = new TempDir("txn-wait");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("n"), B("0"));
        var holder = db.BeginTransaction(Pessimistic());
        Assert.Equal("0", S(holder.GetForUpdate(B("n"))));
        holder.Put(B("n"), B("1"));
        string? seen = null;
        using var requesting = new ManualResetEventSlim();
        using var threads = new TestThreads();
        threads.Start("waiter", () =>
        {
            using var txn = db.BeginTransaction(Pessimistic());
            requesting.Set();
            seen = S(txn.GetForUpdate(B("n")));
            txn.Put(B("n"), B((int.Parse(seen!) + 1).ToString()));
            txn.Commit();
        });
        threads.Wait(requesting, "the waiter never began its transaction");
        holder.Commit(); // whenever the waiter asked, it can only read after this commit
        holder.Dispose();
        threads.JoinAndRethrow();
        Assert.Equal("1", seen);
        Assert.Equal("2", S(db.Get(B("n"))));
    }

    [Fact]
    public void RollbackAndDispose_ReleaseLocks()
    {
        using var dir = new TempDir("txn-release");
        using var db = LatticeDb.Open(dir.Path);
        var first = db.BeginTransaction(Pessimistic());
        first.Put(B("a"), B("1"));
        first.Delete(B("b"));
        first.Rollback();
        var second = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(1)));
        second.GetForUpdate(B("a")); // free at once: a wait of 1 ms would fail
        second.GetForUpdate(B("b"));
        second.Dispose();
        using var third = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(1)));
        third.Put(B("a"), B("3"));
        third.Put(B("b"), B("3"));
        third.Commit();
        Assert.Equal("3", S(db.Get(B("a"))));
    }

    [Fact]
    public void Get_TakesNoLock_AndReadsLatestCommitted()
    {
        using var dir = new TempDir("txn-get-unlocked");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("a"), B("0"));
        using var holder = db.BeginTransaction(Pessimistic());
        holder.Put(B("a"), B("1"));
        using var reader = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(1)));
        Assert.Equal("0", S(reader.Get(B("a")))); // no wait for the holder
        db.Put(B("b"), B("new"));
        Assert.Equal("new", S(reader.Get(B("b")))); // the latest, not a snapshot
        Assert.True(reader.IsPessimistic);
        Assert.Throws<TransactionTimeoutException>(() => reader.GetForUpdate(B("a")));
    }

    [Fact]
    public void SameKeyInAnotherColumnFamily_IsAnotherLock()
    {
        using var dir = new TempDir("txn-cf-locks");
        using var db = LatticeDb.Open(dir.Path);
        var cf = db.CreateColumnFamily("other");
        using var a = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(1)));
        using var b = db.BeginTransaction(Pessimistic(TimeSpan.FromMilliseconds(1)));
        a.Put(B("k"), B("1"));
        b.Put(cf, B("k"), B("2"));
        a.Put(B("k"), B("again")); // a lock already held is not waited for
        Assert.Throws<TransactionTimeoutException>(() => b.Put(B("k"), B("3")));
        a.Commit();
        b.Commit();
        Assert.Equal("again", S(db.Get(B("k"))));
        Assert.Equal("2", S(db.Get(cf, B("k"))));
    }
    [Fact]
    public void OptimisticCommit_KeyLockedByPessimisticReader_WaitsThenConflicts()
    {
        using var dir = new TempDir("txn-mixed");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(B("a"), B("10"));
        using var locking = db.BeginTransaction(Pessimistic());
        Assert.Equal("10", S(locking.GetForUpdate(B("a"))));
        Exception? optimisticOutcome = null;
        using var txn = db.BeginTransaction(new TransactionOptions { LockTimeout = Long });
        txn.Put(B("a"), B(S(txn.Get(B("a"))) + "+1")); // read before the pessimistic update
        using var threads = new TestThreads();
        threads.Start("optimistic commit", () =>
        {
            try
            {
                txn.Commit(); // waits for the pessimistic holder of "a" whenever it runs
            }
            catch (Exception ex)
            {
                optimisticOutcome = ex;
            }
        });
        locking.Put(B("a"), B("10-1"));
        locking.Commit();
        threads.JoinAndRethrow();
        Assert.IsType<TransactionConflictException>(optimisticOutcome);
        Assert.Equal("10-1", S(db.Get(B("a")))); // the pessimistic update was not overwritten
    }
}
