using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

public sealed class SearchTests
{
    private static IndexHandle Notes(LatticeDb db)
    {
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "notes", Extractor = IndexExtractors.Text("$.note") });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        return index;
    }

    private static byte[] Note(string text) => B($"{{\"note\":\"{text}\"}}");

    private static List<string> Keys(IReadOnlyList<SearchResult> results) => [.. results.Select(r => S(r.PrimaryKey))];

    /// <summary>BM25 with k1 = 1.2, b = 0.75 for one term, computed from the corpus by hand.</summary>
    private static double Bm25(int tf, int length, int documents, int containing, double averageLength)
        => Math.Log(1 + (documents - containing + 0.5) / (containing + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / averageLength));

    [Fact]
    public void Search_RanksByBm25_ThenByKey_WithExactStatistics()
    {
        using var dir = new TempDir("search-rank");
        using var db = LatticeDb.Open(dir.Path);
        var index = Notes(db);
        db.Put(B("d1"), Note("rent paid rent twice"));    // tf 2, length 4
        db.Put(B("d2"), Note("rent for the flat in May")); // tf 1, length 6
        db.Put(B("d3"), Note("groceries"));
        db.Put(B("d4"), Note("rent"));                     // tf 1, length 1
        db.Put(B("d5"), Note("rent"));                     // same score as d4: key order
        db.Put(B("gone"), Note("rent rent rent rent"));
        db.Delete(B("gone"));                              // statistics must forget it
        db.Put(B("d3"), Note("groceries and more groceries")); // an overwrite changes the length

        var results = db.Search(index, "RENT", 10);
        Assert.Equal(["d4", "d5", "d1", "d2"], Keys(results));
        // 5 documents, lengths 4 + 6 + 4 + 1 + 1.
        double average = 16.0 / 5;
        Assert.Equal(Bm25(1, 1, 5, 4, average), results[0].Score, 9);
        Assert.Equal(Bm25(2, 4, 5, 4, average), results[2].Score, 9);
        Assert.Equal(Bm25(1, 6, 5, 4, average), results[3].Score, 9);
        Assert.Equal(Note("rent for the flat in May"), results[3].Value);
        Assert.Equal(["d4", "d5"], Keys(db.Search(index, "rent", 2)));
    }

    [Fact]
    public void Search_AllTermsMustMatch_PrefixTermsExpand_CaseAndPunctuationFold()
    {
        using var dir = new TempDir("search-terms");
        using var db = LatticeDb.Open(dir.Path);
        var index = Notes(db);
        db.Put(B("a"), Note("Payment to Café Noir, invoice #12"));
        db.Put(B("b"), Note("payroll for March"));
        db.Put(B("c"), Note("PAYMENT refused"));
        db.Put(B("d"), Note("don't pay"));
        Assert.Equal(["a", "c"], Keys(db.Search(index, "payment", 10)).Order());
        Assert.Equal(["a"], Keys(db.Search(index, "payment café", 10)));
        Assert.Equal(["a"], Keys(db.Search(index, "CAFÉ invoice", 10)));
        Assert.Equal(["a", "b", "c", "d"], Keys(db.Search(index, "pay*", 10)).Order());
        Assert.Equal(["c"], Keys(db.Search(index, "pay* ref*", 10)));
        Assert.Equal(["a"], Keys(db.Search(index, "invoice pay*", 10)));
        Assert.Equal(["d"], Keys(db.Search(index, "don't", 10)));
        Assert.Empty(db.Search(index, "payment march", 10));
        Assert.Empty(db.Search(index, "absent*", 10));
        Assert.Empty(db.Search(index, "   ", 10));
    }

    [Fact]
    public void Search_SnapshotSeesDocumentsAndStatisticsOfItsTime()
    {
        using var dir = new TempDir("search-snapshot");
        using var db = LatticeDb.Open(dir.Path);
        var index = Notes(db);
        db.Put(B("a"), Note("alpha beta"));
        using var snap = db.GetSnapshot();
        db.Put(B("a"), Note("gamma"));
        db.Put(B("b"), Note("alpha"));
        Assert.Equal(["b"], Keys(db.Search(index, "alpha", 10)));
        var then = db.Search(index, "alpha", 10, new ReadOptions { Snapshot = snap });
        Assert.Equal(["a"], Keys(then));
        Assert.Equal(Bm25(1, 2, 1, 1, 2), then[0].Score, 9);
    }

    [Fact]
    public void Search_IndexOfExistingDataBuiltInBackground_MatchesWritesAfterIt()
    {
        using var dir = new TempDir("search-build");
        using var db = LatticeDb.Open(dir.Path);
        for (int i = 0; i < 600; i++) db.Put(B($"n{i:D4}"), Note(i % 3 == 0 ? "monthly rent" : "coffee"));
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "notes", Extractor = IndexExtractors.Text("$.note") });
        db.Put(B("n0000"), Note("coffee"));
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        Assert.Equal(IndexState.Ready, index.State);
        Assert.Equal(199, db.Search(index, "rent", 1000).Count);
        Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
    }
}
