using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// Random puts, deletes and range deletes on an indexed family, with reopens, flushes,
/// compactions (of the data and of the index) and snapshots; after each step random range and
/// prefix queries, in both directions, must equal a model's filtered scan, now and at every
/// live snapshot. Run with eager and with lazy removal of stale entries.
/// </summary>
public sealed class IndexModelTests(ITestOutputHelper output)
{
    private const int Accounts = 12;
    private int _rowsCompared;

    [Theory]
    [InlineData(false, 1901)]
    [InlineData(true, 1902)]
    public void QueryIndex_RandomHistory_EqualsModelFilteredScan(bool lazy, int fallbackSeed)
    {
        var maintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager;
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed {seed} (LKV_SEED to replay), {maintenance}");
        var rng = new Random(seed);
        using var dir = new TempDir("index-model");
        var options = new DbOptions { WriteBufferSize = 32 * 1024, IndexMaintenance = maintenance };
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var byAccount = IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.height"));
        var byHeight = IndexExtractors.JsonField("height");
        var db = LatticeDb.Open(dir.Path, options);
        try
        {
            var cf = db.CreateColumnFamily("tx");
            var a = db.CreateIndex(cf, new IndexDefinition { Name = "by-account", Extractor = byAccount });
            var h = db.CreateIndex(cf, new IndexDefinition { Name = "by-height", Extractor = byHeight });
            Assert.True(a.WaitUntilReady(TimeSpan.FromSeconds(30)) && h.WaitUntilReady(TimeSpan.FromSeconds(30)));
            var snapshots = new List<(Snapshot Snapshot, SortedDictionary<string, byte[]> Model)>();
            int steps = 400 * TestSeed.Scale;
            for (int step = 0; step < steps; step++)
            {
                int op = rng.Next(100);
                string key = "k" + rng.Next(150).ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
                if (op < 60)
                {
                    var value = Doc("acct" + rng.Next(Accounts), rng.Next(-5, 40));
                    db.Put(cf, B(key), value);
                    model[key] = value;
                }
                else if (op < 72)
                {
                    db.Delete(cf, B(key));
                    model.Remove(key);
                }
                else if (op < 75)
                {
                    string end = "k" + (rng.Next(150) + 10).ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
                    if (string.CompareOrdinal(key, end) > 0) (key, end) = (end, key);
                    db.DeleteRange(cf, B(key), B(end));
                    foreach (var k in model.Keys.Where(k => string.CompareOrdinal(k, key) >= 0 && string.CompareOrdinal(k, end) < 0).ToList()) model.Remove(k);
                }
                else if (op < 82)
                {
                    // A batch moving one key's account and writing another: one log record.
                    var batch = new WriteBatch();
                    var v1 = Doc("acct" + rng.Next(Accounts), rng.Next(40));
                    var v2 = Doc("acct" + rng.Next(Accounts), rng.Next(40));
                    string other = "k" + rng.Next(150).ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
                    batch.Put(cf, B(key), v1);
                    batch.Put(cf, B(other), v2);
                    batch.Delete(cf, B(key));
                    batch.Put(cf, B(key), v2);
                    db.Write(batch);
                    model[other] = v2;
                    model[key] = v2;
                }
                else if (op < 85)
                {
                    snapshots.Add((db.GetSnapshot(), new SortedDictionary<string, byte[]>(model, StringComparer.Ordinal)));
                }
                else if (op < 88)
                {
                    db.Flush();
                    db.CompactRange(cf);
                    db.CompactRange(EntriesOf(db, a));
                }
                else if (op < 90 && snapshots.Count == 0)
                {
                    db.Dispose();
                    db = LatticeDb.Open(dir.Path, options);
                    cf = db.GetColumnFamily("tx");
                    a = db.GetIndex("by-account");
                    h = db.GetIndex("by-height");
                    Assert.Equal(IndexState.Ready, a.State);
                }
                else
                {
                    Query(db, a, byAccount, model, rng, null, $"step {step}");
                    Query(db, h, byHeight, model, rng, null, $"step {step}");
                    if (snapshots.Count > 0)
                    {
                        var (snap, then) = snapshots[rng.Next(snapshots.Count)];
                        Query(db, a, byAccount, then, rng, snap, $"step {step} at snapshot {snap.SequenceNumber}");
                    }
                    if (snapshots.Count > 3)
                    {
                        snapshots[0].Snapshot.Dispose();
                        snapshots.RemoveAt(0);
                    }
                }
            }
            foreach (var (s, _) in snapshots) s.Dispose();
            Query(db, a, byAccount, model, rng, null, "end");
            Assert.All(db.VerifyIndexes(), v => Assert.True(v.Consistent, v.ToString()));
            output.WriteLine($"{_rowsCompared} rows compared");
            Assert.True(_rowsCompared > 1000, "the queries returned too little to mean anything");
        }
        finally
        {
            db.Dispose();
        }
    }

    private void Query(LatticeDb db, IndexHandle index, IndexExtractor extractor, SortedDictionary<string, byte[]> model, Random rng, Snapshot? snapshot, string where)
    {
        var read = snapshot is null ? null : new ReadOptions { Snapshot = snapshot };
        bool reverse = rng.Next(2) == 0;
        if (rng.Next(2) == 0)
        {
            // Prefix: one account's transactions, or all.
            byte[] prefix = rng.Next(5) == 0 ? [] : IndexKeys.CompositePrefix(B("acct" + rng.Next(Accounts)));
            if (index.Name == "by-height") prefix = rng.Next(2) == 0 ? [] : IndexKeys.Int64(rng.Next(40))[..7];
            using var it = db.QueryIndexPrefix(index, prefix, read);
            var expected = Expected(model, extractor, k => k.AsSpan().StartsWith(prefix), reverse);
            _rowsCompared += expected.Count;
            Assert.True(expected.SequenceEqual(Read(it, reverse)), $"{where}: prefix {Convert.ToHexString(prefix)} reverse={reverse} of {index.Name}");
        }
        else
        {
            byte[] from = index.Name == "by-height" ? IndexKeys.Int64(rng.Next(-6, 41)) : IndexKeys.Composite(B("acct" + rng.Next(Accounts)), IndexKeys.Int64(rng.Next(40)));
            byte[] to = index.Name == "by-height" ? IndexKeys.Int64(rng.Next(-6, 41)) : IndexKeys.Composite(B("acct" + rng.Next(Accounts)), IndexKeys.Int64(rng.Next(40)));
            if (rng.Next(6) == 0) to = [];
            using var it = db.QueryIndex(index, from, to, read);
            var expected = Expected(model, extractor, k => k.AsSpan().SequenceCompareTo(from) >= 0 && (to.Length == 0 || k.AsSpan().SequenceCompareTo(to) < 0), reverse);
            _rowsCompared += expected.Count;
            Assert.True(expected.SequenceEqual(Read(it, reverse)),
                $"{where}: range {Convert.ToHexString(from)}..{Convert.ToHexString(to)} reverse={reverse} of {index.Name}");
        }
    }
}
