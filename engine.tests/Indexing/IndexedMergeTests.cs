using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

public sealed class IndexedMergeTests
{
    [Fact]
    public void AMergeIntoAnIndexedFamily_IsRefused_AndNothingOfItsBatchIsWritten()
    {
        using var dir = new TempDir("index-merge");
        using var db = LatticeDb.Open(dir.Path);
        var cf = db.CreateColumnFamily("tx", new ColumnFamilyOptions { MergeOperator = MergeOperators.StringAppend });
        var index = db.CreateIndex(cf, new IndexDefinition { Name = "by-account", Extractor = IndexExtractors.JsonField("$.account") });
        Assert.True(index.WaitUntilReady(TimeSpan.FromMinutes(1)));
        var batch = new WriteBatch();
        batch.Put(cf, B("a"), Doc("alice", 1));
        batch.Merge(cf, B("b"), B("x"));

        var ex = Assert.Throws<InvalidArgumentException>(() => db.Write(batch));

        Assert.Contains("by-account", ex.Message, StringComparison.Ordinal);
        Assert.Null(db.Get(cf, B("a")));
        using var it = db.QueryIndexPrefix(index, B("alice"));
        it.SeekToFirst();
        Assert.False(it.Valid);
    }
}
