using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>A transaction's iterator: its own puts and deletes over its snapshot, both directions, seeks and bounds.</summary>
public sealed class TransactionIteratorTests(ITestOutputHelper output)
{
    private static List<string> Forward(TransactionIterator it)
    {
        var keys = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) keys.Add(S(it.Key.ToArray()) + "=" + S(it.Value.ToArray()));
        return keys;
    }

    private static List<string> Backward(TransactionIterator it)
    {
        var keys = new List<string>();
        for (it.SeekToLast(); it.Valid; it.Prev()) keys.Add(S(it.Key.ToArray()) + "=" + S(it.Value.ToArray()));
        return keys;
    }

    [Fact]
    public void Iterator_OwnPutsAndDeletesOverSnapshot_NotLaterWrites()
    {
        using var dir = new TempDir("txn-iter");
        using var db = LatticeDb.Open(dir.Path);
        foreach (var k in new[] { "b", "d", "f" }) db.Put(B(k), B("db"));
        db.Flush();
        db.Put(B("h"), B("db"));
        using var txn = db.BeginTransaction();
        db.Put(B("c"), B("later"));   // after the snapshot: never seen
        db.Delete(B("f"));            // after the snapshot: f still seen
        txn.Put(B("a"), B("own"));
        txn.Put(B("d"), B("own"));    // shadows the database's d
        txn.Delete(B("h"));           // hides the database's h
        txn.Put(B("z"), B("own"));
        txn.Delete(B("nothing"));     // deleting an absent key shows nothing
        using var it = txn.NewIterator();
        string[] expected = ["a=own", "b=db", "d=own", "f=db", "z=own"];
        Assert.Equal(expected, Forward(it));
        Assert.Equal(expected.Reverse(), Backward(it));

        it.Seek(B("c"));
        Assert.Equal("d", S(it.Key.ToArray()));
        it.Prev();
        Assert.Equal("b", S(it.Key.ToArray()));
        it.Next();
        it.Next();
        Assert.Equal("f", S(it.Key.ToArray()));
        it.SeekForPrev(B("g"));
        Assert.Equal("f", S(it.Key.ToArray()));
        it.SeekForPrev(B("h"));
        Assert.Equal("f", S(it.Key.ToArray())); // h is deleted by the transaction
        it.Next();
        Assert.Equal("z", S(it.Key.ToArray()));
        it.Next();
        Assert.False(it.Valid);
    }

    [Fact]
    public void Iterator_Bounds_ApplyToOwnWritesToo()
    {
        using var dir = new TempDir("txn-iter-bounds");
        using var db = LatticeDb.Open(dir.Path);
        foreach (var k in new[] { "a", "c", "e", "g" }) db.Put(B(k), B("db"));
        using var txn = db.BeginTransaction();
        foreach (var k in new[] { "b", "d", "f", "h" }) txn.Put(B(k), B("own"));
        using var it = txn.NewIterator(new ReadOptions { IterateLowerBound = B("b"), IterateUpperBound = B("f") });
        Assert.Equal(["b=own", "c=db", "d=own", "e=db"], Forward(it));
        Assert.Equal(["e=db", "d=own", "c=db", "b=own"], Backward(it));
        it.Seek(B("a"));
        Assert.Equal("b", S(it.Key.ToArray()));
        it.SeekForPrev(B("z"));
        Assert.Equal("e", S(it.Key.ToArray()));
    }

    [Fact]
    public void Iterator_RandomOperations_MatchAModel()
    {
        int seed = TestSeed.Get(1919);
        output.WriteLine($"seed={seed}");
        var rnd = new Random(seed);
        for (int round = 0; round < 20 * TestSeed.Scale; round++)
        {
            using var dir = new TempDir("txn-iter-model");
            using var db = LatticeDb.Open(dir.Path);
            var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
            string Key() => "k" + rnd.Next(60).ToString("D2");
            for (int i = 0; i < 40; i++)
            {
                string k = Key();
                if (rnd.Next(4) == 0)
                {
                    db.Delete(B(k));
                    model.Remove(k);
                }
                else
                {
                    db.Put(B(k), B("db" + i));
                    model[k] = "db" + i;
                }
                if (i == 20) db.Flush();
            }
            using var txn = db.BeginTransaction();
            for (int i = 0; i < 25; i++)
            {
                string k = Key();
                if (rnd.Next(3) == 0)
                {
                    txn.Delete(B(k));
                    model.Remove(k);
                }
                else
                {
                    txn.Put(B(k), B("own" + i));
                    model[k] = "own" + i;
                }
                db.Put(B(Key()), B("later")); // after the snapshot: invisible
            }
            var keys = model.Keys.ToList();
            using var it = txn.NewIterator();
            int pos = -1;
            for (int step = 0; step < 200; step++)
            {
                int op = rnd.Next(6);
                if ((op == 4 || op == 5) && !(pos >= 0 && pos < keys.Count)) op = rnd.Next(4);
                string target = Key() + (rnd.Next(2) == 0 ? "" : "x");
                switch (op)
                {
                    case 0: it.SeekToFirst(); pos = 0; break;
                    case 1: it.SeekToLast(); pos = keys.Count - 1; break;
                    case 2: it.Seek(B(target)); pos = keys.FindIndex(k => string.CompareOrdinal(k, target) >= 0); if (pos < 0) pos = keys.Count; break;
                    case 3: it.SeekForPrev(B(target)); pos = keys.FindLastIndex(k => string.CompareOrdinal(k, target) <= 0); break;
                    case 4: it.Next(); pos++; break;
                    default: it.Prev(); pos--; break;
                }
                bool valid = pos >= 0 && pos < keys.Count;
                Assert.True(valid == it.Valid, $"seed={seed} round={round} step={step} op={op} target={target}: valid {it.Valid}, model {valid}");
                if (!valid) continue;
                Assert.Equal(keys[pos], S(it.Key.ToArray()));
                Assert.Equal(model[keys[pos]], S(it.Value.ToArray()));
            }
        }
    }
    /// <summary>
    /// Serializability of iteration, checked against replay: after a random iteration and one
    /// outside write, the commit must conflict whenever replaying the same iteration in a fresh
    /// transaction (which sees the write) observes anything different. Writes the iteration
    /// never went near must not all conflict either.
    /// </summary>
    [Fact]
    public void Commit_OutsideWriteChangesWhatTheIteratorSaw_Conflicts()
    {
        int seed = TestSeed.Get(1907);
        output.WriteLine($"seed={seed}");
        var rnd = new Random(seed);
        int conflicts = 0, unchangedCommits = 0;
        for (int round = 0; round < 60 * TestSeed.Scale; round++)
        {
            using var dir = new TempDir("txn-iter-serial");
            using var db = LatticeDb.Open(dir.Path);
            string Key() => "k" + rnd.Next(40).ToString("D2") + (rnd.Next(3) == 0 ? "x" : "");
            for (int i = 0; i < 20; i++) db.Put(B(Key()), B("db" + i));
            if (rnd.Next(2) == 0) db.Flush();
            var own = Enumerable.Range(0, 4).Select(i => (Key: Key(), Delete: rnd.Next(3) == 0, Value: "own" + i)).ToList();
            var ops = Enumerable.Range(0, 6).Select(_ => (Op: rnd.Next(6), Target: Key())).ToList();

            List<string> Run(Transaction txn)
            {
                foreach (var (k, delete, v) in own)
                {
                    if (delete) txn.Delete(B(k));
                    else txn.Put(B(k), B(v));
                }
                var seen = new List<string>();
                using var it = txn.NewIterator();
                foreach (var (planned, target) in ops)
                {
                    int op = planned >= 4 && !it.Valid ? planned - 4 : planned; // a step needs a position: seek instead
                    switch (op)
                    {
                        case 0: it.Seek(B(target)); break;
                        case 1: it.SeekForPrev(B(target)); break;
                        case 2: it.SeekToFirst(); break;
                        case 3: it.SeekToLast(); break;
                        case 4: it.Next(); break;
                        default: it.Prev(); break;
                    }
                    seen.Add(it.Valid ? S(it.Key.ToArray()) + "=" + S(it.Value.ToArray()) : "-");
                }
                return seen;
            }

            using var first = db.BeginTransaction();
            var before = Run(first);
            first.Put(B("marker"), B("1")); // a writing transaction: its commit is checked
            string written = Key();
            if (rnd.Next(3) == 0) db.Delete(B(written));
            else db.Put(B(written), B("outside"));
            using var replay = db.BeginTransaction();
            bool changed = !before.SequenceEqual(Run(replay));
            bool conflicted = false;
            try
            {
                first.Commit();
            }
            catch (TransactionConflictException)
            {
                conflicted = true;
            }
            Assert.True(conflicted || !changed, $"seed={seed} round={round}: the write to {written} changed what the iterator saw, yet the commit passed");
            if (conflicted) conflicts++;
            else if (!changed) unchangedCommits++;
        }
        output.WriteLine($"{conflicts} conflicts, {unchangedCommits} commits");
        Assert.True(conflicts > 0, "no round conflicted: the test checks nothing");
        Assert.True(unchangedCommits > 0, "every round conflicted: writes nowhere near the iteration conflict too");
    }
}
