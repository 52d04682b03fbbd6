using LatticeKV.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

public sealed class IndexCreationRaceTests
{
    /// <summary>Holds the first write of one key in stage 1 (after the index stage ran) until released.</summary>
    private sealed class HoldingStage(byte[] key) : IWriteStage
    {
        public readonly ManualResetEventSlim Held = new();
        public readonly ManualResetEventSlim Release = new();
        private int _held;

        public WriteBatch Prepare(WriteBatch batch, ref ICommitCheck? check)
        {
            var reader = new WriteBatchReader(batch.Rep);
            while (reader.MoveNext())
            {
                if (reader.Key.SequenceEqual(key) && Interlocked.Exchange(ref _held, 1) == 0)
                {
                    Held.Set();
                    Release.Wait();
                }
            }
            return batch;
        }
    }

    [Fact]
    public void AWritePreparedBeforeTheIndexExisted_AndQueuedAfterItsBuild_IsIndexed()
    {
        using var dir = new TempDir("index-race");
        using var db = LatticeDb.Open(dir.Path);
        var cf = db.CreateColumnFamily("tx", new ColumnFamilyOptions());
        var other = db.CreateColumnFamily("other", new ColumnFamilyOptions());
        db.CreateIndex(other, new IndexDefinition { Name = "installs-the-stage", Extractor = IndexExtractors.JsonField("$.account") }).WaitUntilReady(TimeSpan.FromMinutes(1));
        var holding = new HoldingStage(B("late"));
        db.AddWriteStage(holding, LatticeKV.Db.WriteStageOrder.Indexing); // runs after the index stage: the write below is prepared without the new index
        db.Put(cf, B("early"), Doc("alice", 1));

        using var threads = new TestThreads();
        threads.Stopping.Register(holding.Release.Set);
        threads.Start("writer", () => db.Put(cf, B("late"), Doc("bob", 2)));
        threads.Wait(holding.Held, "the write never reached stage 1", TimeSpan.FromMinutes(1));
        var index = db.CreateIndex(cf, new IndexDefinition { Name = "by-account", Extractor = IndexExtractors.JsonField("$.account") });
        Assert.True(index.WaitUntilReady(TimeSpan.FromMinutes(1)));
        holding.Release.Set(); // now queued: prepared before the index was published, led after its build
        threads.JoinAndRethrow();

        var verification = db.VerifyIndexes().Single(v => v.Name == "by-account");
        Assert.True(verification.Consistent, $"missing {verification.MissingEntries} of {verification.PrimaryEntries}");
        using var it = db.QueryIndexPrefix(index, B("bob"));
        Assert.Equal(["626F62/late=" + S(Doc("bob", 2))], Read(it, reverse: false));
    }
}
