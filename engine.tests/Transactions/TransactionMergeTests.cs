using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Merge.MergeSupport;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>Merge operands in transactions: seen by the transaction's own reads and iterators, written at commit.</summary>
public sealed class TransactionMergeTests(ITestOutputHelper output)
{
    private static LatticeDb Open(TempDir dir) => LatticeDb.Open(dir.Path, Options(dir.Path, MergeOperators.Int64Add));

    [Fact]
    public void Get_OwnOperands_ApplyOverTheSnapshotValue_AndCommitWritesThem()
    {
        using var dir = new TempDir("txn-merge-get");
        using var db = Open(dir);
        db.Put(B("n"), I64(10));
        db.Merge(B("n"), I64(1)); // the database's value is itself merged: 11
        using var txn = db.BeginTransaction();
        txn.Merge(B("n"), I64(5));
        txn.Merge(B("n"), I64(7));
        Assert.Equal(23, AsI64(txn.Get(B("n"))));
        Assert.Equal(11, AsI64(db.Get(B("n"))));
        txn.Merge(B("fresh"), I64(3)); // no value below: merged over nothing
        Assert.Equal(3, AsI64(txn.Get(B("fresh"))));
        txn.Commit();
        Assert.Equal(23, AsI64(db.Get(B("n"))));
        Assert.Equal(3, AsI64(db.Get(B("fresh"))));
    }

    [Fact]
    public void Get_OperandsAfterOwnPutOrDelete_ApplyOverThoseOnly()
    {
        using var dir = new TempDir("txn-merge-put");
        using var db = Open(dir);
        db.Put(B("p"), I64(1000));
        db.Put(B("d"), I64(1000));
        using var txn = db.BeginTransaction();
        txn.Put(B("p"), I64(100));
        txn.Merge(B("p"), I64(1));
        txn.Delete(B("d"));
        txn.Merge(B("d"), I64(4));
        Assert.Equal(101, AsI64(txn.Get(B("p"))));
        Assert.Equal(4, AsI64(txn.Get(B("d"))));
        txn.Put(B("p"), I64(7)); // a put replaces the operands before it
        Assert.Equal(7, AsI64(txn.Get(B("p"))));
        txn.Commit();
        Assert.Equal(7, AsI64(db.Get(B("p"))));
        Assert.Equal(4, AsI64(db.Get(B("d"))));
    }

    [Fact]
    public void Iterator_OwnOperands_MergedInBothDirections()
    {
        using var dir = new TempDir("txn-merge-iter");
        using var db = Open(dir);
        db.Put(B("a"), I64(1));
        db.Put(B("b"), I64(2));
        db.Flush();
        db.Merge(B("c"), I64(3));
        using var txn = db.BeginTransaction();
        txn.Merge(B("a"), I64(10));  // over the database's a
        txn.Delete(B("b"));
        txn.Merge(B("b"), I64(20));  // over nothing
        txn.Merge(B("z"), I64(30));  // only in the transaction
        using var it = txn.NewIterator();
        var forward = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add(S(it.Key.ToArray()) + "=" + AsI64(it.Value.ToArray()));
        Assert.Equal(["a=11", "b=20", "c=3", "z=30"], forward);
        var backward = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add(S(it.Key.ToArray()) + "=" + AsI64(it.Value.ToArray()));
        Assert.Equal(["z=30", "c=3", "b=20", "a=11"], backward);
    }

    [Fact]
    public void Merge_FamilyWithoutOperatorOrBadOperand_RefusedAtOnce()
    {
        using var dir = new TempDir("txn-merge-refused");
        using var db = Open(dir);
        var plain = db.CreateColumnFamily("plain");
        using var txn = db.BeginTransaction();
        Assert.Throws<InvalidArgumentException>(() => txn.Merge(plain, B("k"), I64(1)));
        Assert.Throws<InvalidArgumentException>(() => txn.Merge(B("k"), B("not eight bytes")));
        txn.Merge(B("k"), I64(1));
        txn.Commit();
        Assert.Equal(1, AsI64(db.Get(B("k"))));
    }

    [Fact]
    public void Get_OperandOverflows_ThrowsMergeException()
    {
        using var dir = new TempDir("txn-merge-overflow");
        using var db = Open(dir);
        db.Put(B("n"), I64(long.MaxValue));
        using var txn = db.BeginTransaction();
        txn.Merge(B("n"), I64(1));
        Assert.Throws<MergeException>(() => txn.Get(B("n")));
    }

    [Fact]
    public void Commit_KeyMergedWhileAnotherWroteIt_Conflicts()
    {
        using var dir = new TempDir("txn-merge-conflict");
        using var db = Open(dir);
        using var txn = db.BeginTransaction();
        txn.Merge(B("n"), I64(1));
        db.Merge(B("n"), I64(1));
        Assert.Throws<TransactionConflictException>(() => txn.Commit());
        Assert.Equal(1, AsI64(db.Get(B("n"))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConcurrentCounters_EveryIncrementCounted(bool pessimistic)
    {
        int seed = TestSeed.Get(1905);
        output.WriteLine($"seed={seed}");
        using var dir = new TempDir("txn-merge-counters");
        using var db = Open(dir);
        const int threads = 8, perThread = 100;
        long retries = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var rnd = new Random(seed + t);
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    string counter = "c" + rnd.Next(4);
                    while (true)
                    {
                        using var txn = db.BeginTransaction(new TransactionOptions { Pessimistic = pessimistic, LockTimeout = TimeSpan.FromSeconds(10) });
                        try
                        {
                            txn.Merge(B(counter), I64(1));
                            txn.Merge(B("total"), I64(1));
                            txn.Commit();
                            break;
                        }
                        catch (TransactionConflictException)
                        {
                            Interlocked.Increment(ref retries);
                        }
                    }
                }
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.Empty(failures);
        output.WriteLine($"{retries} retries");
        Assert.Equal(threads * perThread, AsI64(db.Get(B("total"))));
        Assert.Equal(threads * perThread, Enumerable.Range(0, 4).Sum(i => AsI64(db.Get(B("c" + i))) ?? 0));
    }
}
