using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// Random overwrites, deletes and range deletes of notes over a small vocabulary, under eager and
/// lazy removal of stale postings (lazy leaves every overwritten term's posting behind): every
/// search of whole terms must return exactly the model's BM25 ranking (keys, order and scores),
/// now and at a snapshot taken midway, so a stale posting never surfaces nor changes a score and
/// the per-term document counts stay exact.
/// </summary>
public sealed class SearchModelTests(ITestOutputHelper output)
{
    private static readonly string[] Words = ["rent", "coffee", "tax", "salary", "gift", "fee", "loan", "card"];

    [Theory]
    [InlineData(false, 1931)]
    [InlineData(true, 1932)]
    public void Search_RandomHistory_EqualsModelBm25(bool lazy, int fallbackSeed)
    {
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed {seed} (LKV_SEED to replay), lazy {lazy}");
        var rng = new Random(seed);
        using var dir = new TempDir("search-model");
        var options = new DbOptions { WriteBufferSize = 32 * 1024, IndexMaintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager };
        using var db = LatticeDb.Open(dir.Path, options);
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "notes", Extractor = IndexExtractors.Text("$.note") });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        Snapshot? snapshot = null;
        SortedDictionary<string, string>? then = null;
        int steps = 300 * TestSeed.Scale;
        for (int step = 0; step < steps; step++)
        {
            string key = "k" + rng.Next(60).ToString("D2", System.Globalization.CultureInfo.InvariantCulture);
            int op = rng.Next(100);
            if (op < 80)
            {
                string note = string.Join(' ', Enumerable.Range(0, rng.Next(1, 6)).Select(_ => Words[rng.Next(Words.Length)]));
                db.Put(B(key), B($"{{\"note\":\"{note}\"}}"));
                model[key] = note;
            }
            else if (op < 95)
            {
                db.Delete(B(key));
                model.Remove(key);
            }
            else
            {
                string end = key + "5";
                db.DeleteRange(B(key), B(end));
                foreach (var k in model.Keys.Where(k => string.CompareOrdinal(k, key) >= 0 && string.CompareOrdinal(k, end) < 0).ToList()) model.Remove(k);
            }
            if (step == steps / 2)
            {
                snapshot = db.GetSnapshot();
                then = new SortedDictionary<string, string>(model, StringComparer.Ordinal);
            }
            if (step % 10 == 0) CheckQueries(db, index, model, rng, null);
        }
        CheckQueries(db, index, model, rng, null);
        CheckQueries(db, index, then!, rng, new ReadOptions { Snapshot = snapshot });
        snapshot!.Dispose();
    }

    private static void CheckQueries(LatticeDb db, IndexHandle index, SortedDictionary<string, string> model, Random rng, ReadOptions? read)
    {
        for (int q = 0; q < 4; q++)
        {
            var terms = Enumerable.Range(0, rng.Next(1, 3)).Select(_ => Words[rng.Next(Words.Length)]).Distinct().ToList();
            int limit = rng.Next(1, 8);
            var expected = Expected(model, terms).Take(limit).ToList();
            var actual = db.Search(index, string.Join(' ', terms), limit, read);
            Assert.Equal(expected.Select(e => e.Key), actual.Select(r => S(r.PrimaryKey)));
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Score, actual[i].Score, 9);
        }
    }

    /// <summary>BM25 (k1 = 1.2, b = 0.75) over the model, by hand.</summary>
    private static IEnumerable<(string Key, double Score)> Expected(SortedDictionary<string, string> model, List<string> terms)
    {
        var docs = model.ToDictionary(p => p.Key, p => p.Value.Split(' '));
        double n = Math.Max(docs.Count, 1);
        double average = docs.Count > 0 ? docs.Values.Sum(d => d.Length) / (double)docs.Count : 1;
        var df = terms.ToDictionary(t => t, t => docs.Values.Count(d => d.Contains(t)));
        return docs.Where(d => terms.All(d.Value.Contains))
            .Select(d => (d.Key, terms.Sum(t =>
            {
                int tf = d.Value.Count(w => w == t);
                return Math.Log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * d.Value.Length / average));
            })))
            .OrderByDescending(d => d.Item2).ThenBy(d => d.Key, StringComparer.Ordinal);
    }
}
