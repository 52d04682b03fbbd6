using LatticeKV.Db;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

public sealed class CommitCheckTests
{
    private sealed class Recording(Func<ulong, bool> accept) : ICommitCheck
    {
        public void Check(ulong lastSequence)
        {
            if (!accept(lastSequence)) throw new InvalidArgumentException("rejected by the check", "batch");
        }
    }

    [Fact]
    public void ARejectingCheck_WritesNothingOfItsBatch()
    {
        using var dir = new TempDir("check-reject");
        using (var db = LatticeDb.Open(dir.Path))
        {
            var batch = new WriteBatch();
            batch.Put(TestDb.B("a"), TestDb.B("1"));
            batch.Put(TestDb.B("b"), TestDb.B("2"));
            Assert.Throws<InvalidArgumentException>(() => db.WriteChecked(batch, WriteOptions.Default, new Recording(_ => false)));
            Assert.Null(db.Get(TestDb.B("a")));
            db.Put(TestDb.B("c"), TestDb.B("3")); // the queue goes on after a rejected write
        }
        using (var db = LatticeDb.Open(dir.Path))
        {
            Assert.Null(db.Get(TestDb.B("a")));
            Assert.Null(db.Get(TestDb.B("b")));
            Assert.Equal("3", TestDb.S(db.Get(TestDb.B("c"))));
        }
    }

    [Fact]
    public void ACheck_SeesEveryEarlierWrite_AndNoWriteLandsBetweenItAndItsBatch()
    {
        // Each checked write asserts the counter key still holds what it read before queueing;
        // with 8 writers racing, a check that could interleave with another write would let two
        // writers both "win" the same value. Exactly one winner per value is the invariant.
        using var dir = new TempDir("check-serial");
        using var db = LatticeDb.Open(dir.Path);
        db.Put(TestDb.B("n"), BitConverter.GetBytes(0L));
        int wins = 0;
        const int perThread = 200;
        using var threads = new TestThreads();
        threads.Start(8, "writer", _ =>
        {
            for (int i = 0; i < perThread; i++)
            {
                while (true)
                {
                    long seen = BitConverter.ToInt64(db.Get(TestDb.B("n"))!);
                    var batch = new WriteBatch();
                    batch.Put(TestDb.B("n"), BitConverter.GetBytes(seen + 1));
                    try
                    {
                        db.WriteChecked(batch, WriteOptions.Default, new Recording(_ => BitConverter.ToInt64(db.Get(TestDb.B("n"))!) == seen));
                        Interlocked.Increment(ref wins);
                        break;
                    }
                    catch (InvalidArgumentException) { }
                }
            }
        });
        threads.JoinAndRethrow();
        Assert.Equal(8 * perThread, wins);
        Assert.Equal(8L * perThread, BitConverter.ToInt64(db.Get(TestDb.B("n"))!));
    }
}
