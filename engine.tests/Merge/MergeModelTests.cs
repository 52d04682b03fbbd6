using LatticeKV.Io;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Merge;

/// <summary>
/// Random histories of puts, deletes, range deletes, merges (StringAppend with a delimiter, so
/// every operand and its order shows in the result), batches, snapshots, flushes, compactions
/// and reopens, checked step by step against an in-memory model: point reads at the newest
/// state and at live snapshots, scans both ways. Rerun a failure with LKV_SEED=seed.
/// </summary>
public class MergeModelTests(ITestOutputHelper output)
{
    private static readonly IMergeOperator Append = MergeOperators.StringAppendWith("+"u8);

    [Fact]
    public void RandomHistories_WithMerges_MatchModel() => Run(TestSeed.Get(5150), 6000 * TestSeed.Scale);

    private void Run(int seed, int steps)
    {
        output.WriteLine($"seed={seed} steps={steps}");
        var rnd = new Random(seed);
        var fs = new MemFileSystem();
        var options = TestDb.SmallTreeOptions(fs, 8 * 1024, levelZeroTrigger: 2, Append);
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var snapshots = new List<(Snapshot Snap, SortedDictionary<string, string> Seen)>();
        var db = LatticeDb.Open(TestDb.DbPath, options);
        string Key() => $"k{rnd.Next(40):D3}";
        string Val() => $"{rnd.Next(1000)}";
        try
        {
            for (int step = 0; step < steps; step++)
            {
                string at = $"seed={seed} step={step}";
                int op = rnd.Next(100);
                if (op < 35) Merge(db, model, Key(), Val());
                else if (op < 50)
                {
                    string k = Key(), v = Val();
                    db.Put(TestDb.B(k), TestDb.B(v));
                    model[k] = v;
                }
                else if (op < 56)
                {
                    string k = Key();
                    db.Delete(TestDb.B(k));
                    model.Remove(k);
                }
                else if (op < 59)
                {
                    string a = Key(), b = Key();
                    if (string.CompareOrdinal(a, b) > 0) (a, b) = (b, a);
                    db.DeleteRange(TestDb.B(a), TestDb.B(b));
                    foreach (var k in model.Keys.Where(k => string.CompareOrdinal(k, a) >= 0 && string.CompareOrdinal(k, b) < 0).ToList()) model.Remove(k);
                }
                else if (op < 64)
                {
                    // A batch mixing kinds, several operations on one key among them.
                    var batch = new WriteBatch();
                    var next = new SortedDictionary<string, string>(model, StringComparer.Ordinal);
                    for (int i = rnd.Next(2, 6); i > 0; i--)
                    {
                        string k = rnd.Next(3) == 0 ? "k000" : Key(), v = Val();
                        if (rnd.Next(3) == 0)
                        {
                            batch.Put(TestDb.B(k), TestDb.B(v));
                            next[k] = v;
                        }
                        else
                        {
                            batch.Merge(TestDb.B(k), TestDb.B(v));
                            next[k] = next.TryGetValue(k, out var old) ? old + "+" + v : v;
                        }
                    }
                    db.Write(batch);
                    model = next;
                }
                else if (op < 68)
                {
                    if (snapshots.Count < 4) snapshots.Add((db.GetSnapshot(), new SortedDictionary<string, string>(model, StringComparer.Ordinal)));
                }
                else if (op < 70)
                {
                    if (snapshots.Count > 0)
                    {
                        int i = rnd.Next(snapshots.Count);
                        snapshots[i].Snap.Dispose();
                        snapshots.RemoveAt(i);
                    }
                }
                else if (op < 85)
                {
                    string k = Key();
                    Assert.True(model.GetValueOrDefault(k) == TestDb.S(db.Get(TestDb.B(k))), $"{at}: Get({k})");
                    if (snapshots.Count > 0)
                    {
                        var (snap, seen) = snapshots[rnd.Next(snapshots.Count)];
                        Assert.True(seen.GetValueOrDefault(k) == TestDb.S(db.Get(TestDb.B(k), new ReadOptions { Snapshot = snap })), $"{at}: Get({k}) at a snapshot");
                    }
                }
                else if (op < 90)
                {
                    var (snap, seen) = snapshots.Count > 0 && rnd.Next(2) == 0 ? snapshots[rnd.Next(snapshots.Count)] : (null, model);
                    Assert.True(seen.Select(kv => $"{kv.Key}={kv.Value}").SequenceEqual(Scan(db, snap, forward: true)), $"{at}: forward scan");
                    Assert.True(seen.Reverse().Select(kv => $"{kv.Key}={kv.Value}").SequenceEqual(Scan(db, snap, forward: false)), $"{at}: backward scan");
                }
                else if (op < 92)
                {
                    var (snap, seen) = snapshots.Count > 0 && rnd.Next(2) == 0 ? snapshots[rnd.Next(snapshots.Count)] : (null, model);
                    Walk(db, snap, seen, rnd, at);
                }
                else if (op < 95) db.Flush();
                else if (op < 98) db.CompactRange();
                else
                {
                    foreach (var (snap, _) in snapshots) snap.Dispose();
                    snapshots.Clear();
                    db.Dispose();
                    db = LatticeDb.Open(TestDb.DbPath, options);
                }
            }
            db.CompactRange();
            Assert.True(model.Select(kv => $"{kv.Key}={kv.Value}").SequenceEqual(Scan(db, null, forward: true)), $"seed={seed}: final scan");
        }
        finally
        {
            foreach (var (snap, _) in snapshots) snap.Dispose();
            db.Dispose();
        }
    }

    private static void Merge(LatticeDb db, SortedDictionary<string, string> model, string k, string v)
    {
        db.Merge(TestDb.B(k), TestDb.B(v));
        model[k] = model.TryGetValue(k, out var old) ? old + "+" + v : v;
    }

    /// <summary>A seek, then steps both ways with turns at merged keys, each compared with the model.</summary>
    private static void Walk(LatticeDb db, Snapshot? snapshot, SortedDictionary<string, string> seen, Random rnd, string at)
    {
        var keys = seen.Keys.ToList();
        string target = $"k{rnd.Next(40):D3}";
        bool backward = rnd.Next(2) == 0;
        // The model's position: the first key at or after the target, or the last at or before it.
        int pos = backward ? keys.FindLastIndex(k => string.CompareOrdinal(k, target) <= 0) : keys.FindIndex(k => string.CompareOrdinal(k, target) >= 0);
        if (pos < 0) pos = backward ? -1 : keys.Count;
        using var it = db.NewIterator(new ReadOptions { Snapshot = snapshot });
        if (backward) it.SeekForPrev(TestDb.B(target));
        else it.Seek(TestDb.B(target));
        for (int step = 0; step < 12; step++)
        {
            bool inRange = pos >= 0 && pos < keys.Count;
            Assert.True(inRange == it.Valid, $"{at}: walk from {target}, step {step}: valid");
            if (!inRange) return;
            Assert.True(keys[pos] == TestDb.S(it.Key.ToArray()) && seen[keys[pos]] == TestDb.S(it.Value.ToArray()), $"{at}: walk from {target}, step {step}: entry");
            if (rnd.Next(2) == 0)
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

    private static List<string> Scan(LatticeDb db, Snapshot? snapshot, bool forward)
    {
        var list = new List<string>();
        using var it = db.NewIterator(new ReadOptions { Snapshot = snapshot });
        if (forward)
            for (it.SeekToFirst(); it.Valid; it.Next()) list.Add($"{TestDb.S(it.Key.ToArray())}={TestDb.S(it.Value.ToArray())}");
        else
            for (it.SeekToLast(); it.Valid; it.Prev()) list.Add($"{TestDb.S(it.Key.ToArray())}={TestDb.S(it.Value.ToArray())}");
        return list;
    }
}
