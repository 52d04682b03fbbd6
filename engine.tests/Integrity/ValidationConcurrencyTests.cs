using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>Merged values are judged at the commit point: concurrent withdrawals never take a validated balance below zero together.</summary>
public sealed class ValidationConcurrencyTests
{
    [Fact]
    public void ConcurrentMerges_NeverPassTheValidatorTogether()
    {
        var fs = new MemFileSystem();
        var family = new ColumnFamilyOptions
        {
            MergeOperator = MergeOperators.Int64Add,
            Validator = ValueValidators.FromDelegate("non-negative", (_, v) => BitConverter.ToInt64(v) >= 0 ? null : "negative"),
        };
        using var db = LatticeDb.Open(DbPath, MemOptions(fs));
        var balances = db.CreateColumnFamily("balances", family);
        const int Start = 200, Threads = 4, Attempts = 100;
        db.Put(balances, B("alice"), BitConverter.GetBytes((long)Start));
        int accepted = 0, refused = 0;
        using var go = new Barrier(Threads);
        using var workers = new TestThreads();
        workers.Start(Threads, "merger", _ =>
        {
            go.SignalAndWait();
            for (int i = 0; i < Attempts; i++)
            {
                try
                {
                    db.Merge(balances, B("alice"), BitConverter.GetBytes(-1L));
                    Interlocked.Increment(ref accepted);
                }
                catch (ValidationException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });
        workers.JoinAndRethrow();
        Assert.Equal(Start, accepted);
        Assert.Equal(Threads * Attempts - Start, refused);
        Assert.Equal(0L, BitConverter.ToInt64(db.Get(balances, B("alice"))));
    }
}
