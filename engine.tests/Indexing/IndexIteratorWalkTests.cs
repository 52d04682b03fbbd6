using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// Whatever <see cref="IndexIterator"/> does ahead of its position (run 83 read entries a window
/// ahead and hinted their primary reads), every walk (long runs, turns in either direction, seeks
/// to either end, bounds, stale entries, writes and flushes racing the walk) must yield exactly
/// what a walk checking one entry at a time yields at its snapshot.
/// </summary>
public sealed class IndexIteratorWalkTests
{
    [Theory]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public void RandomWalks_UnderConcurrentWrites_MatchTheWalkOneEntryAtATime(int seed, bool lazy)
    {
        var rng = new Random(TestSeed.Get(seed));
        using var dir = new TempDir("index-walk");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { IndexMaintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager });
        var byAccount = CreateByAccountHeight(db);
        const int accounts = 12;
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        void Put(string key, string account, long height, string note)
        {
            db.Put(B(key), Doc(account, height, note));
            model[key] = Doc(account, height, note);
        }
        string Account(int a) => $"acct{a:D2}";
        // Some accounts hold far more entries than the largest window, some fewer than the first.
        for (int i = 0; i < 1500; i++)
        {
            int a = rng.Next(accounts);
            Put($"tx{i:D5}", Account(a * a % accounts), rng.Next(1000), new string('n', rng.Next(200)));
            if (i == 700) db.Flush(); // part of the entries and values in tables, part in the memtable
        }
        // Overwrites move keys between accounts and change heights (stale entries under a lazy index), deletes drop keys.
        for (int i = 0; i < 400; i++)
        {
            string key = $"tx{rng.Next(1500):D5}";
            if (rng.Next(4) == 0)
            {
                db.Delete(B(key));
                model.Remove(key);
            }
            else Put(key, Account(rng.Next(accounts)), rng.Next(1000), "moved");
        }
        if (lazy) Assert.True(db.VerifyIndexes().Single().StaleEntries > 0, "a lazy index keeps the entries overwrites and deletes left");

        using var snapshot = db.GetSnapshot();
        var atSnapshot = new SortedDictionary<string, byte[]>(model, StringComparer.Ordinal);
        var read = new ReadOptions { Snapshot = snapshot };

        // Writes and flushes race the walks: the snapshot must hide them all.
        var stop = false;
        Exception? writerFailure = null;
        var writer = new Thread(() =>
        {
            try
            {
                var wrng = new Random(seed * 7919);
                for (int n = 0; !Volatile.Read(ref stop); n++)
                {
                    string key = $"tx{wrng.Next(1800):D5}";
                    if (wrng.Next(5) == 0) db.Delete(B(key));
                    else db.Put(B(key), Doc($"acct{wrng.Next(accounts):D2}", wrng.Next(1000), "racing"));
                    if (n % 500 == 499) db.Flush();
                }
            }
            catch (Exception ex)
            {
                writerFailure = ex;
            }
        });
        writer.Start();
        try
        {
            for (int walk = 0; walk < 60; walk++)
            {
                byte[] from, to;
                Func<byte[], bool> selects;
                IndexIterator it;
                int kind = rng.Next(3);
                if (kind == 0)
                {
                    var prefix = IndexKeys.CompositePrefix(B(Account(rng.Next(accounts))));
                    it = db.QueryIndexPrefix(byAccount, prefix, read);
                    selects = k => k.AsSpan().StartsWith(prefix);
                }
                else
                {
                    int lo = rng.Next(accounts), hi = lo + 1 + rng.Next(accounts - lo);
                    from = kind == 1 ? IndexKeys.CompositePrefix(B(Account(lo))) : [];
                    to = IndexKeys.CompositePrefix(B(Account(hi)));
                    it = db.QueryIndex(byAccount, from, to, read);
                    byte[] f = from, t = to;
                    selects = k => ByteKeys.Instance.Compare(k, f) >= 0 && ByteKeys.Instance.Compare(k, t) < 0;
                }
                using (it)
                {
                    var expected = Expected(atSnapshot, byAccount.Index.Extractor, selects, reverse: false);
                    WalkAtRandom(it, expected, rng, walk);
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            writer.Join();
        }
        Assert.Null(writerFailure);
    }

    [Fact]
    public void TurnsAtEveryEntry_YieldTheNeighbours()
    {
        using var dir = new TempDir("index-walk-turns");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { IndexMaintenance = IndexMaintenance.Lazy });
        var byAccount = CreateByAccountHeight(db);
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        for (int i = 0; i < 90; i++)
        {
            model[$"k{i:D3}"] = Doc("alice", i);
            db.Put(B($"k{i:D3}"), model[$"k{i:D3}"]);
        }
        db.Flush();
        for (int i = 0; i < 90; i += 4)
        {
            model[$"k{i:D3}"] = Doc("bob", i); // alice's entry of every fourth key is stale
            db.Put(B($"k{i:D3}"), model[$"k{i:D3}"]);
        }
        var prefix = IndexKeys.CompositePrefix(B("alice"));
        var expected = Expected(model, byAccount.Index.Extractor, k => k.AsSpan().StartsWith(prefix), reverse: false);
        Assert.Equal(67, expected.Count);
        using var it = db.QueryIndexPrefix(byAccount, prefix);
        // Forward to each entry, then back one and forward again: every turn lands on the neighbour.
        for (int target = 0; target < expected.Count; target++)
        {
            it.SeekToFirst();
            for (int i = 0; i < target; i++) it.Next();
            Assert.Equal(expected[target], Row(it));
            if (target > 0)
            {
                it.Prev();
                Assert.Equal(expected[target - 1], Row(it));
                it.Next();
                Assert.Equal(expected[target], Row(it));
            }
            if (target + 1 < expected.Count)
            {
                it.Next();
                Assert.Equal(expected[target + 1], Row(it));
                it.Prev();
                Assert.Equal(expected[target], Row(it));
            }
        }
        // The same from the end, walking back.
        for (int target = expected.Count - 1; target >= 0; target -= 7)
        {
            it.SeekToLast();
            for (int i = expected.Count - 1; i > target; i--) it.Prev();
            Assert.Equal(expected[target], Row(it));
            it.Next();
            if (target + 1 < expected.Count) Assert.Equal(expected[target + 1], Row(it));
            else Assert.False(it.Valid);
        }
    }

    /// <summary>
    /// Moves <paramref name="it"/> at random (runs of steps long and short, turns, seeks to either
    /// end), checking each position against <paramref name="expected"/> (ascending).
    /// </summary>
    private static void WalkAtRandom(IndexIterator it, List<string> expected, Random rng, int walk)
    {
        int at; // the expected position; -1 or expected.Count: invalid
        bool forward = rng.Next(2) == 0;
        if (forward)
        {
            it.SeekToFirst();
            at = 0;
        }
        else
        {
            it.SeekToLast();
            at = expected.Count - 1;
        }
        for (int step = 0; step < 400; step++)
        {
            bool inRange = at >= 0 && at < expected.Count;
            Assert.True(inRange == it.Valid, $"walk {walk}, step {step}: expected valid={inRange} at {at} of {expected.Count}");
            if (!inRange)
            {
                if (rng.Next(2) == 0)
                {
                    it.SeekToFirst();
                    at = 0;
                }
                else
                {
                    it.SeekToLast();
                    at = expected.Count - 1;
                }
                continue;
            }
            Assert.Equal(expected[at], Row(it));
            int choice = rng.Next(100);
            if (choice < 3)
            {
                it.SeekToFirst();
                at = 0;
                continue;
            }
            if (choice < 6)
            {
                it.SeekToLast();
                at = expected.Count - 1;
                continue;
            }
            if (choice < 26) forward = !forward; // a turn
            int run = rng.Next(3) == 0 ? 1 + rng.Next(70) : 1;
            for (int i = 0; i < run && at >= 0 && at < expected.Count; i++)
            {
                if (forward)
                {
                    it.Next();
                    at++;
                }
                else
                {
                    it.Prev();
                    at--;
                }
                if (at >= 0 && at < expected.Count) Assert.Equal(expected[at], Row(it));
            }
        }
    }

    private static string Row(IndexIterator it) => Convert.ToHexString(it.IndexKey) + "/" + S(it.PrimaryKey) + "=" + S(it.Value);
}
