using LatticeKV.Io;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests;

/// <summary>
/// Reverse prefix scans (bounds around one prefix, <see cref="LatticeIterator.SeekToLast"/> then
/// <see cref="LatticeIterator.Prev"/>, the newest-rows query of a clustered schema) over a tree
/// with every kind of source at once: deeper levels, level-0 files and the memtable holding
/// overlapping versions of the same keys, deletions, range deletions and merge operands, read at
/// the newest state and at snapshots taken between the writes; walks with turns and
/// <see cref="LatticeIterator.SeekForPrev"/> inside the bounds too. Each is compared with a
/// sorted model. Rerun a failure with LKV_SEED=seed.
/// </summary>
public class LatticeIteratorReverseScanTests(ITestOutputHelper output)
{
    private static readonly IMergeOperator Append = MergeOperators.StringAppendWith("+"u8);
    private const int Accounts = 24;

    [Theory]
    [InlineData(7901)]
    [InlineData(7902)]
    [InlineData(7903)]
    public void ReverseScans_MultiLevelTreeWithEveryKind_MatchModel(int fallbackSeed)
    {
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed={seed}");
        var rnd = new Random(seed);
        var fs = new MemFileSystem();
        // Level-0 files are left alone until eight pile up: the ones flushed below stay there.
        var options = TestDb.SmallTreeOptions(fs, 16 * 1024, levelZeroTrigger: 8, Append);
        options.DefaultColumnFamilyOptions.BlockSize = 256 + rnd.Next(1024);
        options.IdleCompactionDelay = null; // nor drained while the checks only read
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var views = new List<(Snapshot? Snap, SortedDictionary<string, string> Seen)>();
        using var db = LatticeDb.Open(TestDb.DbPath, options);
        try
        {
            // Old rounds are compacted down, the next ones stay in level-0 files, the last in the memtable.
            for (int round = 0; round < 6; round++)
            {
                Write(db, model, rnd, 300 * TestSeed.Scale);
                if (round < 3) db.CompactRange();
                else if (round < 5) db.Flush();
                if (round is 1 or 3 or 4) views.Add((db.GetSnapshot(), new SortedDictionary<string, string>(model, StringComparer.Ordinal)));
            }
            views.Add((null, model));
            long FilesAt(int level) => long.Parse(db.GetProperty($"lattice.num-files-at-level{level}")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(FilesAt(0) > 0 && Enumerable.Range(1, 6).Any(l => FilesAt(l) > 0), $"seed={seed}: the tree has level-0 files and deeper ones");
            Assert.NotEqual("0", db.GetProperty("lattice.cur-size-active-mem-table"));
            for (int check = 0; check < 400 * TestSeed.Scale; check++)
            {
                var (snap, seen) = views[rnd.Next(views.Count)];
                string at = $"seed={seed} check={check} snapshot={(snap is null ? "none" : views.FindIndex(v => v.Snap == snap).ToString())}";
                CheckPrefixScan(db, snap, seen, rnd, at);
            }
        }
        finally
        {
            foreach (var (snap, _) in views) snap?.Dispose();
        }
    }

    private static string Account(int a) => $"a{a:D2}/";

    private static string KeyOf(Random rnd) => Account(rnd.Next(Accounts)) + rnd.Next(120).ToString("D4");

    private static void Write(LatticeDb db, SortedDictionary<string, string> model, Random rnd, int operations)
    {
        for (int i = 0; i < operations; i++)
        {
            int op = rnd.Next(100);
            string k = KeyOf(rnd), v = rnd.Next(1000).ToString();
            if (op < 50)
            {
                db.Put(TestDb.B(k), TestDb.B(v));
                model[k] = v;
            }
            else if (op < 72)
            {
                db.Merge(TestDb.B(k), TestDb.B(v));
                model[k] = model.TryGetValue(k, out var old) ? old + "+" + v : v;
            }
            else if (op < 95)
            {
                db.Delete(TestDb.B(k));
                model.Remove(k);
            }
            else
            {
                // Within one account mostly, now and then across the end of one into the next.
                string a = k, b = op < 99 ? k[..^2] + "99" : Account(rnd.Next(Accounts)) + "0050";
                if (string.CompareOrdinal(a, b) > 0) (a, b) = (b, a);
                db.DeleteRange(TestDb.B(a), TestDb.B(b));
                foreach (var key in model.Keys.Where(key => string.CompareOrdinal(key, a) >= 0 && string.CompareOrdinal(key, b) < 0).ToList()) model.Remove(key);
            }
        }
    }

    /// <summary>One prefix's reverse scan, or a walk with turns from a SeekForPrev inside its bounds.</summary>
    private static void CheckPrefixScan(LatticeDb db, Snapshot? snap, SortedDictionary<string, string> seen, Random rnd, string at)
    {
        // Accounts past the last one and bounds left open now and then, as well as the usual pair.
        string prefix = Account(rnd.Next(Accounts + 2));
        string upper = prefix[..^1] + (char)(prefix[^1] + 1);
        int bounds = rnd.Next(6);
        string? lowerBound = bounds == 1 ? null : prefix;
        string? upperBound = bounds == 2 ? null : upper;
        var keys = seen.Keys.Where(k => (lowerBound is null || string.CompareOrdinal(k, lowerBound) >= 0) && (upperBound is null || string.CompareOrdinal(k, upperBound) < 0)).ToList();
        using var it = db.NewIterator(new ReadOptions
        {
            Snapshot = snap,
            IterateLowerBound = lowerBound is null ? null : TestDb.B(lowerBound),
            IterateUpperBound = upperBound is null ? null : TestDb.B(upperBound),
        });
        int pos;
        if (rnd.Next(3) > 0)
        {
            it.SeekToLast();
            pos = keys.Count - 1;
            int limit = rnd.Next(1, 130);
            for (int n = 0; n < limit; n++, pos--)
            {
                AssertAt(it, keys, seen, pos, $"{at}: reverse scan of {prefix} ({bounds}), row {n}");
                if (pos < 0) return;
                it.Prev();
            }
            return;
        }
        string target = prefix + rnd.Next(125).ToString("D4");
        it.SeekForPrev(TestDb.B(target));
        pos = keys.FindLastIndex(k => string.CompareOrdinal(k, target) <= 0);
        for (int step = 0; step < 40; step++)
        {
            AssertAt(it, keys, seen, pos, $"{at}: walk from SeekForPrev({target}) ({bounds}), step {step}");
            if (pos < 0 || pos >= keys.Count) return;
            if (rnd.Next(4) == 0)
            {
                it.Next();
                pos++;
            }
            else
            {
                it.Prev();
                pos--;
            }
        }
    }

    private static void AssertAt(LatticeIterator it, List<string> keys, SortedDictionary<string, string> seen, int pos, string at)
    {
        bool inRange = pos >= 0 && pos < keys.Count;
        Assert.True(inRange == it.Valid, $"{at}: valid {it.Valid}, expected {inRange}");
        if (!inRange) return;
        string key = TestDb.S(it.Key.ToArray())!, value = TestDb.S(it.Value.ToArray())!;
        Assert.True(key == keys[pos] && value == seen[keys[pos]], $"{at}: {key}={value}, expected {keys[pos]}={seen[keys[pos]]}");
    }
}
