using CsCheck;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary>
/// Random batches (puts, deletions, merges) into a validated family against a model: a batch is
/// applied whole when every value it leaves is valid, and not at all otherwise. A failure prints
/// CsCheck's seed, which replays it.
/// </summary>
public sealed class ValidationModelTests
{
    // Values are decimal text; valid ones are even. StringAppend makes merged values longer text: odd when their last digit is.
    private static readonly IValueValidator EvenNumber = ValueValidators.FromDelegate("even-decimal",
        (_, value) => value.Length > 0 && (value[^1] - '0') % 2 == 0 ? null : "not an even number");

    private sealed record Op(int Kind, int Key, int Value);

    private static readonly Gen<Op> GenOp = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 7], Gen.Int[0, 99], (kind, key, value) => new Op(kind, key, value));

    [Fact]
    public void RandomBatches_RefusedOnesLeaveNothing_MatchModel()
        => GenOp.Array[1, 6].Array[1, 60].Sample(RunHistory, iter: 40 * TestSeed.Scale, threads: 1); // a failure prints CsCheck's seed to replay

    private static void RunHistory(Op[][] history)
    {
        var fs = new MemFileSystem();
        var family = new ColumnFamilyOptions { Validator = EvenNumber, MergeOperator = MergeOperators.StringAppendWith(","u8) };
        var options = MemOptions(fs, o => o.ColumnFamilyOptions["ledger"] = family);
        var db = LatticeDb.Open(DbPath, options);
        var cf = db.CreateColumnFamily("ledger", family);
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        try
        {
            for (int step = 0; step < history.Length; step++)
            {
                var ops = history[step];
                var next = new SortedDictionary<string, string>(model, StringComparer.Ordinal);
                var merged = new HashSet<string>(StringComparer.Ordinal);
                var batch = new WriteBatch();
                bool valid = true;
                foreach (var op in ops)
                {
                    string key = $"k{op.Key}", value = op.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    if (op.Kind < 5)
                    {
                        batch.Put(cf, B(key), B(value));
                        next[key] = value;
                        valid &= op.Value % 2 == 0; // every put is judged, even one the batch overwrites
                        merged.Remove(key);
                    }
                    else if (op.Kind < 7)
                    {
                        batch.Delete(cf, B(key));
                        next.Remove(key);
                        merged.Remove(key);
                    }
                    else
                    {
                        batch.Merge(cf, B(key), B(value));
                        next[key] = next.TryGetValue(key, out var old) ? old + "," + value : value;
                        merged.Add(key);
                    }
                }
                valid &= merged.All(k => (next[k][^1] - '0') % 2 == 0); // what a merge leaves is judged
                try
                {
                    db.Write(batch);
                    Assert.True(valid, $"step {step}: a batch leaving an invalid value was accepted");
                    model = next;
                }
                catch (ValidationException)
                {
                    Assert.False(valid, $"step {step}: a valid batch was refused");
                }
                Assert.Equal(model.Select(kv => kv.Key + "=" + kv.Value), Contents(db, cf).Select(Decode));
                if (step == history.Length / 2)
                {
                    db.Dispose();
                    db = LatticeDb.Open(DbPath, options);
                    cf = db.GetColumnFamily("ledger");
                }
            }
        }
        finally
        {
            db.Dispose();
        }
    }

    private static string Decode(string line)
    {
        var parts = line.Split('=');
        return S(Convert.FromHexString(parts[0])) + "=" + S(Convert.FromHexString(parts[1]));
    }
}
