using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// <see cref="IndexIterator"/> reads each entry's primary value into one reused buffer: values of
/// every length must come out whole (no bytes of a longer earlier value), and the entries a lazy
/// index leaves behind after overwrites and deletes must be skipped in both directions.
/// </summary>
public sealed class IndexIteratorTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void QueryIndexPrefix_StaleEntriesAndValuesOfMixedLengths_YieldsCurrentValuesOnly(bool lazy)
    {
        using var dir = new TempDir("index-iterator");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { IndexMaintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager });
        var byAccount = CreateByAccountHeight(db);
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        void Put(string key, string account, long height, string note)
        {
            db.Put(B(key), Doc(account, height, note));
            model[key] = Doc(account, height, note);
        }
        for (int i = 0; i < 40; i++) Put($"t{i:D2}", "alice", i, new string('x', (i * 37) % 700)); // lengths up and down, past the buffer's first size
        for (int i = 0; i < 40; i += 3) Put($"t{i:D2}", "bob", i, "moved");                    // alice's entries of these keys are now stale
        for (int i = 1; i < 40; i += 5)
        {
            db.Delete(B($"t{i:D2}"));                                                              // and of these
            model.Remove($"t{i:D2}");
        }
        Put("t05", "alice", 500, "");                                                              // same key, same account, new height: the old entry is stale

        if (lazy) Assert.True(db.VerifyIndexes().Single().StaleEntries > 0, "a lazy index keeps the overwritten and deleted keys' entries");

        foreach (var (account, reverse) in new[] { ("alice", false), ("alice", true), ("bob", false), ("bob", true) })
        {
            var prefix = IndexKeys.CompositePrefix(B(account));
            using var it = db.QueryIndexPrefix(byAccount, prefix);
            var actual = Read(it, reverse);
            var expected = Expected(model, byAccount.Index.Extractor, k => k.AsSpan().StartsWith(prefix), reverse);
            Assert.Equal(expected, actual);
        }
        if (!lazy) return;
        // The queries above removed the stale entries they met: the index now holds exactly the live ones.
        var verification = db.VerifyIndexes().Single();
        Assert.Equal(0, verification.StaleEntries);
    }
}
