using System.Text;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Integrity;

/// <summary>
/// Real process kills (SIGKILL) of a child inserting, deleting and cascading through two foreign
/// keys from several threads, plain writes and transactions (<see cref="ForeignKeyCrashChild"/>):
/// after every reopen no child is without its parent, every acknowledged decision (applied or
/// refused) is the model's, and each thread's keys hold the model's state after its acknowledged
/// operations, or after the one in flight as well.
/// </summary>
public sealed class ForeignKeyCrashTests(ITestOutputHelper output)
{
    private const int Threads = 3;

    /// <summary>One thread's keys: accounts, transactions (with their account) and notes.</summary>
    private sealed class Model
    {
        public SortedSet<string> Accounts { get; init; } = new(StringComparer.Ordinal);
        public SortedDictionary<string, string> Txns { get; init; } = new(StringComparer.Ordinal);
        public SortedSet<string> Notes { get; init; } = new(StringComparer.Ordinal);

        public Model Clone() => new() { Accounts = new(Accounts, StringComparer.Ordinal), Txns = new(Txns, StringComparer.Ordinal), Notes = new(Notes, StringComparer.Ordinal) };

        /// <summary>Applies one operation as the foreign keys rule it; false when it must be refused.</summary>
        public bool Apply(string op)
        {
            var p = op.Split(' ');
            switch (p[0])
            {
                case "PA": Accounts.Add(p[1]); return true;
                case "PT":
                    if (!Accounts.Contains(p[2])) return false;
                    Txns[p[1]] = p[2];
                    return true;
                case "PN":
                    if (!Txns.ContainsKey(p[2])) return false;
                    Notes.Add(p[1]);
                    return true;
                case "DA":
                    Accounts.Remove(p[1]);
                    foreach (var x in Txns.Where(kv => kv.Value == p[1]).Select(kv => kv.Key).ToList()) DeleteTxn(x);
                    return true;
                case "DT": DeleteTxn(p[1]); return true;
                case "TX":
                    Accounts.Add(p[1]);
                    Txns[p[2]] = p[1];
                    return true;
                default: throw new FormatException($"bad op '{op}'");
            }
        }

        private void DeleteTxn(string x)
        {
            Txns.Remove(x);
            Notes.RemoveWhere(n => n.StartsWith(x + "/", StringComparison.Ordinal));
        }

        public string Describe() => string.Join(' ', Accounts.Select(a => "A:" + a).Concat(Txns.Select(kv => $"T:{kv.Key}={kv.Value}")).Concat(Notes.Select(n => "N:" + n)));
    }

    [Fact]
    public void ChildKilledDuringForeignKeyWork_NoOrphansAndTheModelAgrees()
    {
        using var dir = new TempDir("fk-crash");
        int seed = TestSeed.Get(2121);
        var rnd = new Random(seed);
        int cycles = 4 * TestSeed.Scale;
        output.WriteLine($"seed={seed} cycles={cycles}");
        var models = Enumerable.Range(0, Threads).Select(_ => new Model()).ToArray();
        long acknowledged = 0, refused = 0;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            var pending = new string?[Threads];
            string? failure = null;
            KilledChild.RunUntil(["fk-crash-child", dir.Path, "--seed", (seed + cycle).ToString(System.Globalization.CultureInfo.InvariantCulture), "--threads", Threads.ToString(System.Globalization.CultureInfo.InvariantCulture)], line =>
            {
                var parts = line.Split(' ', 3);
                if (parts.Length < 3 || parts[0] is not ("I" or "A")) return false;
                int t = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
                if (parts[0] == "I")
                {
                    pending[t] = parts[2];
                    return false;
                }
                bool expected = models[t].Apply(pending[t]!);
                if (expected != (parts[2] == "ok")) failure ??= $"cycle {cycle}: thread {t} '{pending[t]}' was {parts[2]}, the model says {(expected ? "ok" : "refused")}";
                if (!expected) Interlocked.Increment(ref refused);
                pending[t] = null;
                Interlocked.Increment(ref acknowledged);
                return true;
            }, target: rnd.Next(200, 800));
            Assert.True(failure is null, $"seed={seed} {failure}");

            var (db, accounts, txns, notes) = ForeignKeyCrashChild.Open(dir.Path);
            using (db)
            {
                var report = db.VerifyIntegrity();
                Assert.True(report.IsConsistent, $"seed={seed} cycle {cycle}: {string.Join("; ", report.Violations)}");
                for (int t = 0; t < Threads; t++)
                {
                    var actual = Read(db, accounts, txns, notes, t);
                    string before = models[t].Describe();
                    string? after = null;
                    if (pending[t] is { } op)
                    {
                        var next = models[t].Clone();
                        next.Apply(op);
                        after = next.Describe();
                    }
                    string found = actual.Describe();
                    Assert.True(found == before || found == after,
                        $"seed={seed} cycle {cycle} thread {t}: found\n{found}\nexpected\n{before}\nor (with '{pending[t]}' in flight)\n{after}");
                    models[t] = actual;
                }
            }
        }
        output.WriteLine($"{acknowledged} operations acknowledged ({refused} refused) over {cycles} kills");
        Assert.True(refused > 0, "the workload must include refused writes");
    }

    private static Model Read(LatticeDb db, ColumnFamilyHandle accounts, ColumnFamilyHandle txns, ColumnFamilyHandle notes, int thread)
    {
        var model = new Model();
        foreach (var (k, _) in Scan(db, accounts, $"a{thread}-")) model.Accounts.Add(k);
        foreach (var (k, v) in Scan(db, txns, $"t{thread}-")) model.Txns[k] = System.Text.Json.JsonDocument.Parse(v).RootElement.GetProperty("account").GetString()!;
        foreach (var (k, _) in Scan(db, notes, $"t{thread}-")) model.Notes.Add(k);
        return model;
    }

    private static List<(string Key, string Value)> Scan(LatticeDb db, ColumnFamilyHandle family, string prefix)
    {
        var list = new List<(string, string)>();
        using var it = db.NewIterator(family);
        for (it.Seek(Encoding.ASCII.GetBytes(prefix)); it.Valid && Encoding.ASCII.GetString(it.Key).StartsWith(prefix, StringComparison.Ordinal); it.Next())
            list.Add((Encoding.ASCII.GetString(it.Key), Encoding.ASCII.GetString(it.Value)));
        return list;
    }
}
