using System.Globalization;
using System.Text;
using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// <see cref="PrefixSearch"/> (and <see cref="RareFirst"/>) against the general path that checks
/// every posting against its document record (<see cref="TextSearch.ByDocuments"/>), on a random
/// corpus with overwrites and deletes (lazily, stale postings stay behind): every query, with
/// prefixes matching thousands of terms, prefixes with no match, prefixes of one term, whole terms
/// and mixes, must give the same hits, in the same order, with bit-identical scores and values.
/// </summary>
public sealed class PrefixSearchTests(ITestOutputHelper output)
{
    private const string Letters = "abcd";

    [Theory]
    [InlineData(false, 7101)]
    [InlineData(true, 7102)]
    public void Search_RandomCorpusAndQueries_EqualsGeneralPathExactly(bool lazy, int fallbackSeed)
    {
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed {seed} (LKV_SEED to replay), lazy {lazy}");
        var rng = new Random(seed);
        using var dir = new TempDir("prefix-search");
        var options = new DbOptions { WriteBufferSize = 256 * 1024, IndexMaintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager };
        using var db = LatticeDb.Open(dir.Path, options);
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "text", Extractor = IndexExtractors.Text() });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        var vocabulary = Vocabulary(rng, 9000);
        int documents = 2500;
        Write(db, rng, vocabulary, Enumerable.Range(0, documents));
        // Overwrites and deletes: a lazy index keeps the postings of every replaced term.
        Write(db, rng, vocabulary, Enumerable.Range(0, 400).Select(_ => rng.Next(documents)));
        for (int i = 0; i < 150; i++) db.Delete(Key(rng.Next(documents)));
        using var midway = db.GetSnapshot();
        Write(db, rng, vocabulary, Enumerable.Range(0, 300).Select(_ => rng.Next(documents)));
        db.Flush();
        Write(db, rng, vocabulary, Enumerable.Range(0, 100).Select(_ => rng.Next(documents)));

        var live = index.Index;
        int wide = PrefixPostings.Expand(db, live, B("a"), new ReadOptions()).Count;
        output.WriteLine($"'a*' expands to {wide} terms");
        Assert.True(wide >= 1000, $"'a*' should match thousands of terms, matched {wide}");
        if (lazy) Assert.True(StalePostings(db, index) > 0, "the lazy index should hold stale postings");

        int hits = 0;
        foreach (var read in new[] { new ReadOptions { Snapshot = db.GetSnapshot() }, new ReadOptions { Snapshot = midway } })
        {
            for (int q = 0; q < 300; q++)
            {
                string query = Query(rng, vocabulary);
                int limit = rng.Next(4) == 0 ? 100_000 : rng.Next(1, 12);
                var expected = TextSearch.ByDocuments(db, live, TextSearch.Parse(query), limit, read);
                var actual = db.Search(index, query, limit, read);
                Assert.True(Same(expected, actual), $"query '{query}' limit {limit}: expected {Describe(expected)}, got {Describe(actual)}");
                hits += actual.Count;
            }
            if (read.Snapshot != midway) read.Snapshot!.Dispose();
        }
        Assert.True(hits > 0, "some query should have found something");
    }

    [Fact]
    public void Search_PrefixOverStalePostingsOfOneTerm_SkipsThemAndScoresExactly()
    {
        using var dir = new TempDir("prefix-stale");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { IndexMaintenance = IndexMaintenance.Lazy });
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "text", Extractor = IndexExtractors.Text() });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        db.Put(B("d1"), B("rental rent"));
        db.Put(B("d2"), B("rented rental"));
        db.Put(B("d3"), B("rentals"));
        db.Put(B("d2"), B("other words")); // lazily, d2's postings of "rented" and "rental" stay behind
        db.Put(B("d4"), B("rented"));       // "rented" now has a stale posting (d2) and a valid one (d4)

        var results = db.Search(index, "rent*", 10);
        var expected = TextSearch.ByDocuments(db, index.Index, TextSearch.Parse("rent*"), 10, new ReadOptions());
        Assert.Equal(["d1", "d3", "d4"], results.Select(r => S(r.PrimaryKey)).Order());
        Assert.True(Same(expected, results), $"expected {Describe(expected)}, got {Describe(results)}");
        Assert.Empty(db.Search(index, "rented* other", 10));
    }

    [Fact]
    public void Search_PrefixMeetingStalePostings_RemovesThem_SameResultsAfter()
    {
        using var dir = new TempDir("prefix-cleanup");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { IndexMaintenance = IndexMaintenance.Lazy });
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "text", Extractor = IndexExtractors.Text() });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        for (int i = 0; i < 20; i++) db.Put(Key(i), B(i % 2 == 0 ? "payment payment" : "payroll"));
        for (int i = 0; i < 20; i += 3) db.Put(Key(i), B("payout"));  // lazily, their old postings stay
        db.Delete(Key(1));
        long before = StalePostings(db, index);
        Assert.True(before > 0, "the overwrites should leave stale postings");

        var first = db.Search(index, "pay*", 100);
        Assert.Equal(0, StalePostings(db, index));                      // every stale posting was under pay*, and is gone
        var second = db.Search(index, "pay*", 100);
        Assert.True(Same(first, second), $"first {Describe(first)}, then {Describe(second)}");
        Assert.True(Same(TextSearch.ByDocuments(db, index.Index, TextSearch.Parse("pay*"), 100, new ReadOptions()), second));
        Assert.Equal(19, second.Count);
    }

    private static byte[] Key(int i) => B("doc" + i.ToString("D5", CultureInfo.InvariantCulture));

    /// <summary>Words over a small alphabet, so prefixes share thousands of terms; the list is ordered by how often documents use them.</summary>
    private static List<string> Vocabulary(Random rng, int count)
    {
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < count)
        {
            var sb = new StringBuilder();
            int length = rng.Next(2, 9);
            for (int i = 0; i < length; i++) sb.Append(Letters[rng.Next(Letters.Length)]);
            words.Add(sb.ToString());
        }
        return [.. words];
    }

    /// <summary>Half the draws skewed (a few words are in most documents), half uniform (most in a handful).</summary>
    private static string Word(Random rng, List<string> vocabulary)
        => vocabulary[rng.Next(2) == 0 ? rng.Next(rng.Next(vocabulary.Count) + 1) : rng.Next(vocabulary.Count)];

    private static void Write(LatticeDb db, Random rng, List<string> vocabulary, IEnumerable<int> keys)
    {
        var batch = new WriteBatch();
        foreach (int k in keys)
        {
            batch.Put(Key(k), B(string.Join(' ', Enumerable.Range(0, rng.Next(1, 16)).Select(_ => Word(rng, vocabulary)))));
            if (batch.Count < 100) continue;
            db.Write(batch);
            batch = new WriteBatch();
        }
        if (batch.Count > 0) db.Write(batch);
    }

    /// <summary>One, two or three terms: whole words, prefixes of one to four letters, prefixes matching nothing, a word and its own prefix.</summary>
    private static string Query(Random rng, List<string> vocabulary)
    {
        var parts = new List<string>();
        int count = rng.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            string word = Word(rng, vocabulary);
            parts.Add(rng.Next(6) switch
            {
                0 or 1 => word,
                2 => word[..Math.Min(word.Length, rng.Next(1, 3))] + "*",
                3 => word[..Math.Min(word.Length, rng.Next(2, 5))] + "*",
                4 => rng.Next(2) == 0 ? "zq*" : word + "z*",
                _ => word + " " + word + "*",
            });
        }
        return string.Join(' ', parts);
    }

    /// <summary>Postings beyond what the count records account for (each count is the number of documents holding the term).</summary>
    private static long StalePostings(LatticeDb db, IndexHandle index)
    {
        long postings = 0, counted = 0;
        using var it = db.NewIterator(EntriesOf(db, index));
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (it.Key[0] != 0) postings++;
            else if (it.Key[1] == 4) counted += TermCountChanges.Read(it.Value);
        }
        return postings - counted;
    }

    private static bool Same(IReadOnlyList<SearchResult> expected, IReadOnlyList<SearchResult> actual)
        => expected.Count == actual.Count && expected.Zip(actual).All(p =>
            p.First.PrimaryKey.AsSpan().SequenceEqual(p.Second.PrimaryKey)
            && BitConverter.DoubleToInt64Bits(p.First.Score) == BitConverter.DoubleToInt64Bits(p.Second.Score)
            && p.First.Value.AsSpan().SequenceEqual(p.Second.Value));

    private static string Describe(IReadOnlyList<SearchResult> results)
        => "[" + string.Join(", ", results.Take(12).Select(r => $"{S(r.PrimaryKey)}:{r.Score:R}")) + (results.Count > 12 ? $", … {results.Count}" : "") + "]";
}
