using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>Optimistic transactions: what they see, what conflicts at commit and what does not, and what a rollback leaves.</summary>
public sealed class OptimisticTransactionTests
{
    /// <summary>Where the write that races the transaction ends up before the commit is checked.</summary>
    public enum Placement
    {
        MemTable,
        Table,
        Compacted,
    }

    private static void Place(LatticeDb db, Placement placement)
    {
        if (placement == Placement.MemTable) return;
        db.Flush();
        if (placement == Placement.Compacted) db.CompactRange();
    }

    private static LatticeDb OpenWith(TempDir dir, params string[] keys)
    {
        var db = LatticeDb.Open(dir.Path);
        foreach (var k in keys) db.Put(B(k), B("v-" + k));
        return db;
    }

    [Theory]
    [InlineData(Placement.MemTable)]
    [InlineData(Placement.Table)]
    [InlineData(Placement.Compacted)]
    public void Commit_KeyReadThenWrittenByAnother_Conflicts(Placement placement)
    {
        using var dir = new TempDir("txn-read-conflict");
        using var db = OpenWith(dir, "a", "b");
        using var txn = db.BeginTransaction();
        Assert.Equal("v-a", S(txn.Get(B("a"))));
        txn.Put(B("c"), B("from-txn"));
        db.Put(B("a"), B("other"));
        Place(db, placement);
        var error = Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Contains("a key it read", error.Message);
        Assert.Equal(TransactionState.RolledBack, txn.State);
        Assert.Null(db.Get(B("c")));
    }

    [Theory]
    [InlineData(Placement.MemTable)]
    [InlineData(Placement.Table)]
    public void Commit_KeyReadAsAbsentThenCreated_Conflicts(Placement placement)
    {
        using var dir = new TempDir("txn-absent-conflict");
        using var db = OpenWith(dir, "a");
        using var txn = db.BeginTransaction();
        Assert.Null(txn.Get(B("x")));
        txn.Put(B("c"), B("1"));
        db.Put(B("x"), B("born"));
        Place(db, placement);
        Assert.Throws<TransactionConflictException>(() => txn.Commit());
    }

    [Theory]
    [InlineData(Placement.MemTable)]
    [InlineData(Placement.Table)]
    [InlineData(Placement.Compacted)]
    public void Commit_UnrelatedKeysWrittenByOthers_Succeeds(Placement placement)
    {
        using var dir = new TempDir("txn-unrelated");
        using var db = OpenWith(dir, "a", "b", "m");
        using var txn = db.BeginTransaction();
        Assert.Equal("v-a", S(txn.Get(B("a"))));
        using (var it = txn.NewIterator())
        {
            it.Seek(B("k"));
            Assert.Equal("m", S(it.Key.ToArray())); // went over [k, m] only
        }
        txn.Put(B("c"), B("from-txn"));
        db.Put(B("b"), B("other"));
        db.Put(B("j"), B("before the range"));
        db.Put(B("n"), B("after where the iterator stopped"));
        db.Delete(B("zz"));
        Place(db, placement);
        txn.Commit();
        Assert.Equal(TransactionState.Committed, txn.State);
        Assert.Equal("from-txn", S(db.Get(B("c"))));
    }

    [Theory]
    [InlineData(Placement.MemTable)]
    [InlineData(Placement.Table)]
    [InlineData(Placement.Compacted)]
    public void Commit_KeyInsertedInRangeIteratedForward_Conflicts(Placement placement)
    {
        using var dir = new TempDir("txn-phantom-fwd");
        using var db = OpenWith(dir, "a", "c", "e", "g");
        using var txn = db.BeginTransaction();
        using (var it = txn.NewIterator())
        {
            it.Seek(B("b"));
            Assert.Equal("c", S(it.Key.ToArray()));
            it.Next();
            Assert.Equal("e", S(it.Key.ToArray())); // went over [b, e]
        }
        txn.Put(B("sum"), B("2"));
        db.Put(B("d"), B("phantom"));
        Place(db, placement);
        var error = Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Contains("range it iterated", error.Message);
        Assert.Null(db.Get(B("sum")));
    }

    [Fact]
    public void Commit_KeyInsertedInRangeIteratedBackward_Conflicts()
    {
        using var dir = new TempDir("txn-phantom-rev");
        using var db = OpenWith(dir, "a", "c", "e", "g");
        using var txn = db.BeginTransaction();
        using (var it = txn.NewIterator())
        {
            it.SeekForPrev(B("f"));
            Assert.Equal("e", S(it.Key.ToArray()));
            it.Prev();
            Assert.Equal("c", S(it.Key.ToArray())); // went over [c, f]
        }
        txn.Put(B("sum"), B("2"));
        db.Put(B("b"), B("outside: below where it stopped"));
        db.Put(B("ff"), B("outside: above the seek target"));
        Assert.True(CommitsOrConflicts(db, txn));
        db.Put(B("d"), B("phantom"));
        using var txn2 = db.BeginTransaction();
        using (var it = txn2.NewIterator())
        {
            it.SeekForPrev(B("f"));
            it.Prev();
            it.Prev();
            Assert.Equal("c", S(it.Key.ToArray())); // e, d (written before txn2 began), c
        }
        txn2.Put(B("sum"), B("3"));
        db.Put(B("cc"), B("phantom"));
        Assert.Throws<TransactionConflictException>(() => txn2.Commit());
    }

    /// <summary>Commits <paramref name="txn"/>; true when it committed.</summary>
    private static bool CommitsOrConflicts(LatticeDb db, Transaction txn)
    {
        try
        {
            txn.Commit();
            return db is not null;
        }
        catch (TransactionConflictException)
        {
            return false;
        }
    }

    [Fact]
    public void Commit_IteratedToTheEnd_KeyAppendedAfterLast_Conflicts()
    {
        using var dir = new TempDir("txn-phantom-end");
        using var db = OpenWith(dir, "a", "b");
        using var txn = db.BeginTransaction();
        int seen = 0;
        using (var it = txn.NewIterator())
            for (it.SeekToFirst(); it.Valid; it.Next()) seen++;
        Assert.Equal(2, seen);
        txn.Put(B("count"), B("2"));
        db.Put(B("z"), B("appended"));
        Assert.Throws<TransactionConflictException>(() => txn.Commit());
    }

    [Fact]
    public void Commit_RangeDeletionOverlapsIteratedRange_Conflicts()
    {
        using var dir = new TempDir("txn-range-delete");
        using var db = OpenWith(dir, "a", "c", "e", "g");
        using var txn = db.BeginTransaction();
        using (var it = txn.NewIterator())
        {
            it.Seek(B("c"));
            it.Next(); // [c, e]
        }
        txn.Put(B("x"), B("1"));
        db.DeleteRange(B("d"), B("f"));
        db.Flush();
        Assert.Throws<TransactionConflictException>(() => txn.Commit());
    }

    [Fact]
    public void Commit_KeyWrittenBlindAndByAnother_Conflicts()
    {
        // Written keys are checked too (as RocksDB's optimistic transactions do).
        using var dir = new TempDir("txn-write-write");
        using var db = OpenWith(dir, "a");
        using var txn = db.BeginTransaction();
        txn.Put(B("k"), B("mine"));
        db.Put(B("k"), B("theirs"));
        var error = Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Contains("a key it wrote", error.Message);
        Assert.Equal("theirs", S(db.Get(B("k"))));
    }

    [Fact]
    public void Commit_ConflictInAnotherColumnFamily_IsNamedAndDetected()
    {
        using var dir = new TempDir("txn-cf");
        using var db = LatticeDb.Open(dir.Path);
        var cf = db.CreateColumnFamily("accounts");
        db.Put(cf, B("a"), B("1"));
        db.Put(B("a"), B("default"));
        using var txn = db.BeginTransaction();
        Assert.Equal("1", S(txn.Get(cf, B("a"))));
        txn.Put(cf, B("b"), B("2"));
        db.Put(B("a"), B("same key, other family")); // not a conflict
        db.Put(cf, B("a"), B("9"));
        var error = Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Contains("'accounts'", error.Message);
    }

    [Fact]
    public void Reads_SeeSnapshotAndOwnWrites_NotLaterWrites()
    {
        using var dir = new TempDir("txn-reads");
        using var db = OpenWith(dir, "a", "b");
        using var txn = db.BeginTransaction();
        db.Put(B("a"), B("later"));
        db.Put(B("new"), B("later"));
        Assert.Equal("v-a", S(txn.Get(B("a"))));
        Assert.Null(txn.Get(B("new")));
        txn.Put(B("b"), B("mine"));
        txn.Delete(B("a"));
        Assert.Equal("mine", S(txn.GetForUpdate(B("b"))));
        Assert.Null(txn.Get(B("a")));
        Assert.Equal("v-b", S(db.Get(B("b")))); // nothing reached the database yet
    }

    [Fact]
    public void Rollback_WritesNothing_AndDisposeWithoutCommitRollsBack()
    {
        using var dir = new TempDir("txn-rollback");
        using (var db = OpenWith(dir, "a"))
        {
            using (var txn = db.BeginTransaction())
            {
                txn.Put(B("x"), B("1"));
                txn.Delete(B("a"));
                txn.Rollback();
                Assert.Equal(TransactionState.RolledBack, txn.State);
            }
            var txn2 = db.BeginTransaction();
            txn2.Put(B("y"), B("2"));
            txn2.Dispose();
            Assert.Equal(TransactionState.RolledBack, txn2.State);
            ulong before = db.LatestSequenceNumber;
            Assert.Null(db.Get(B("x")));
            Assert.Null(db.Get(B("y")));
            Assert.Equal("v-a", S(db.Get(B("a"))));
            Assert.Equal(before, db.LatestSequenceNumber);
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Null(db.Get(B("x")));
            Assert.Equal("v-a", S(db.Get(B("a"))));
        }
    }

    [Fact]
    public void EndedTransaction_AnyUse_ThrowsTransactionNotActive()
    {
        using var dir = new TempDir("txn-ended");
        using var db = OpenWith(dir, "a");
        var txn = db.BeginTransaction();
        var it = txn.NewIterator();
        it.SeekToFirst();
        txn.Put(B("x"), B("1"));
        txn.Commit();
        var e = Assert.Throws<TransactionNotActiveException>(() => txn.Get(B("a")));
        Assert.Contains("committed", e.Message);
        Assert.Throws<TransactionNotActiveException>(() => txn.Put(B("a"), B("2")));
        Assert.Throws<TransactionNotActiveException>(() => txn.Commit());
        Assert.Throws<TransactionNotActiveException>(() => txn.Rollback());
        Assert.Throws<TransactionNotActiveException>(() => it.Next());
        Assert.Throws<TransactionNotActiveException>(() => txn.NewIterator());
        it.Dispose();
        txn.Dispose(); // ending an ended transaction again is not an error
        Assert.Equal(TransactionState.Committed, txn.State);
    }

    [Fact]
    public void BadInput_TypedErrors()
    {
        using var dir = new TempDir("txn-bad-input");
        using var db = OpenWith(dir, "a");
        using var txn = db.BeginTransaction();
        Assert.Throws<InvalidArgumentException>(() => txn.Put(ReadOnlySpan<byte>.Empty, B("1")));
        Assert.Throws<InvalidArgumentException>(() => txn.Get(new byte[WriteBatch.MaxKeySize + 1]));
        using var snap = db.GetSnapshot();
        Assert.Throws<InvalidArgumentException>(() => txn.NewIterator(new ReadOptions { Snapshot = snap }));
        Assert.Throws<InvalidArgumentException>(() => db.BeginTransaction(new TransactionOptions { Pessimistic = true, LockTimeout = TimeSpan.Zero }));
        using var other = new TempDir("txn-other");
        using var db2 = LatticeDb.Open(other.Path);
        Assert.Throws<InvalidArgumentException>(() => txn.Get(db2.DefaultColumnFamily, B("a")));
    }

    [Fact]
    public void ReadOnlyTransaction_CommitsWithoutWriting()
    {
        using var dir = new TempDir("txn-read-only");
        using var db = OpenWith(dir, "a");
        using var txn = db.BeginTransaction();
        Assert.Equal("v-a", S(txn.Get(B("a"))));
        db.Put(B("a"), B("changed"));
        ulong before = db.LatestSequenceNumber;
        txn.Commit(); // its reads all came from one snapshot: serializable at that point
        Assert.Equal(before, db.LatestSequenceNumber);
    }

    [Fact]
    public void Commit_SyncOption_Applies()
    {
        using var dir = new TempDir("txn-sync");
        using var db = OpenWith(dir, "a");
        long before = db.Statistics.Snapshot()["wal.synced.batches"];
        using (var txn = db.BeginTransaction(new TransactionOptions { Sync = true }))
        {
            txn.Put(B("x"), B("1"));
            txn.Commit();
        }
        long afterOptions = db.Statistics.Snapshot()["wal.synced.batches"];
        Assert.Equal(before + 1, afterOptions);
        using (var txn = db.BeginTransaction(new TransactionOptions { Sync = true }))
        {
            txn.Put(B("y"), B("1"));
            txn.Commit(new WriteOptions { Sync = false }); // the overload wins
        }
        Assert.Equal(afterOptions, db.Statistics.Snapshot()["wal.synced.batches"]);
        using (var txn = db.BeginTransaction())
        {
            txn.Put(B("z"), B("1"));
            txn.Commit(new WriteOptions { Sync = true });
        }
        Assert.Equal(afterOptions + 1, db.Statistics.Snapshot()["wal.synced.batches"]);
    }
    [Fact]
    public void DatabaseClosed_CommitThrowsDisposed_DisposeDoesNot()
    {
        using var dir = new TempDir("txn-db-closed");
        var db = OpenWith(dir, "a");
        var txn = db.BeginTransaction();
        var locking = db.BeginTransaction(new TransactionOptions { Pessimistic = true });
        txn.Put(B("x"), B("1"));
        locking.Put(B("y"), B("1"));
        db.Dispose();
        Assert.Throws<ObjectDisposedException>(() => txn.Commit());
        Assert.Equal(TransactionState.RolledBack, txn.State);
        locking.Dispose();
        Assert.Throws<ObjectDisposedException>(() => db.BeginTransaction());
        using var reopened = LatticeDb.Open(dir.Path);
        Assert.Null(reopened.Get(B("x")));
    }
    [Fact]
    public void LargeTransaction_KeysInRandomOrder_IteratedInOrderAndCommittedWhole()
    {
        int seed = TestSeed.Get(1906);
        using var dir = new TempDir("txn-large");
        using var db = OpenWith(dir, "k000000");
        var ids = Enumerable.Range(0, 50_000).ToArray();
        new Random(seed).Shuffle(ids);
        ulong before = db.LatestSequenceNumber;
        using (var txn = db.BeginTransaction())
        {
            foreach (int id in ids) txn.Put(B("k" + id.ToString("D6")), B(id.ToString()));
            int count = 0;
            string? last = null;
            using (var it = txn.NewIterator())
                for (it.SeekToFirst(); it.Valid; it.Next(), count++)
                {
                    string key = S(it.Key.ToArray())!;
                    Assert.True(last is null || string.CompareOrdinal(last, key) < 0, $"seed={seed}: {key} after {last}");
                    last = key;
                }
            Assert.Equal(ids.Length, count);
            txn.Commit();
        }
        Assert.Equal(before + (ulong)ids.Length, db.LatestSequenceNumber); // every put, once
        Assert.Equal("0", S(db.Get(B("k000000"))));
        Assert.Equal("49999", S(db.Get(B("k049999"))));
    }
}
