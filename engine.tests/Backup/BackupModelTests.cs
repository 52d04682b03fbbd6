using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Model-based: random writes (puts, deletes, range deletes, batches over two column families),
/// flushes and compactions, with backups and log archiving at random points; every backup, and
/// random sequence numbers and moments between them, restore exactly the model's state then.
/// </summary>
public sealed class BackupModelTests(ITestOutputHelper output)
{
    private sealed record State(ulong Sequence, DateTimeOffset Time, SortedDictionary<string, string> Data);

    [Fact]
    public void RestoresMatchTheModel_AtEveryBackupAndAtRandomPoints()
    {
        int seed = TestSeed.Get(Environment.TickCount);
        output.WriteLine($"seed {seed}");
        var rng = new Random(seed);
        using var dir = new TempDir("bkmodel");
        string root = dir.Sub("backups");
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var opts = new DbOptions
        {
            WriteBufferSize = 32 << 10,
            Clock = clock,
            AutoBackup = new AutoBackupOptions { Directory = root, Interval = TimeSpan.FromDays(1), Retention = BackupRetention.Last(100) },
            TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true },
        };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal); // "cf/key" -> value
        var states = new List<State>();
        var backupStates = new Dictionary<int, SortedDictionary<string, string>>();
        int ops = 800 * TestSeed.Scale;
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            var other = db.CreateColumnFamily("other");
            var families = new[] { ("default", db.DefaultColumnFamily), ("other", other) };
            using var manual = BackupEngine.Open(root);
            var first = db.RunAutoBackupNow(atOpen: true)!;
            backupStates[first.Id] = new(model, StringComparer.Ordinal);
            states.Add(new State(db.LatestSequenceNumber, clock.GetUtcNow(), new(model, StringComparer.Ordinal)));
            for (int op = 0; op < ops; op++)
            {
                clock.Advance(TimeSpan.FromMilliseconds(rng.Next(1, 2000)));
                var (name, cf) = families[rng.Next(2)];
                string Key() => $"k{rng.Next(300):D3}";
                int kind = rng.Next(100);
                if (kind < 60)
                {
                    string k = Key(), v = $"{op}-" + new string((char)('a' + rng.Next(26)), rng.Next(1, 300));
                    db.Put(cf, B(k), B(v));
                    model[$"{name}/{k}"] = v;
                }
                else if (kind < 75)
                {
                    string k = Key();
                    db.Delete(cf, B(k));
                    model.Remove($"{name}/{k}");
                }
                else if (kind < 80)
                {
                    string a = Key(), b = Key();
                    if (string.CompareOrdinal(a, b) > 0) (a, b) = (b, a);
                    db.DeleteRange(cf, B(a), B(b));
                    foreach (var k in model.Keys.Where(k => k.StartsWith(name + "/", StringComparison.Ordinal)
                        && string.CompareOrdinal(k[(name.Length + 1)..], a) >= 0 && string.CompareOrdinal(k[(name.Length + 1)..], b) < 0).ToList()) model.Remove(k);
                }
                else if (kind < 90)
                {
                    var batch = new WriteBatch();
                    for (int i = rng.Next(2, 6); i > 0; i--)
                    {
                        var (n2, cf2) = families[rng.Next(2)];
                        string k = Key(), v = $"b{op}-{i}";
                        batch.Put(cf2, B(k), B(v));
                        model[$"{n2}/{k}"] = v;
                    }
                    db.Write(batch);
                }
                else if (kind < 93) db.Flush(cf);
                else if (kind < 94) db.CompactRange(cf);
                else
                {
                    // A backup, automatic or by hand, at a random point.
                    var info = rng.Next(2) == 0 ? db.RunAutoBackupNow() : manual.CreateBackup(db);
                    if (info is not null) backupStates[info.Id] = new(model, StringComparer.Ordinal);
                }
                if (kind < 90) states.Add(new State(db.LatestSequenceNumber, clock.GetUtcNow(), new(model, StringComparer.Ordinal)));
            }
            var last = manual.CreateBackup(db);
            backupStates[last.Id] = new(model, StringComparer.Ordinal);
        }
        output.WriteLine($"{backupStates.Count} backups, {states.Count} states");
        using var backups = BackupEngine.Open(root);
        int n = 0;
        // Every backup with LKV_LONG=1; a random dozen (the last included) otherwise.
        var sample = backupStates.Keys.OrderBy(_ => rng.Next()).Take(TestSeed.Scale > 1 ? int.MaxValue : 12).Append(backupStates.Keys.Max()).Distinct();
        foreach (int id in sample)
        {
            var expected = backupStates[id];
            string target = dir.Sub("b" + id);
            backups.RestoreBackup(id, target);
            AssertSame(expected, ReadFamilies(target), $"backup {id} (seed {seed})");
        }
        for (int i = 0; i < 8; i++)
        {
            var s = states[rng.Next(states.Count)];
            string target = dir.Sub("s" + n++);
            Assert.Equal(s.Sequence, backups.RestoreToSequence(target, s.Sequence));
            AssertSame(s.Data, ReadFamilies(target), $"sequence {s.Sequence} (seed {seed})");
        }
        for (int i = 0; i < 8; i++)
        {
            int at = rng.Next(states.Count - 1);
            var s = states[at];
            // A moment strictly between this state and the next write: the state is this one.
            var next = states[at + 1].Time;
            var t = s.Time + (next - s.Time) / 2;
            if (next == s.Time) continue;
            string target = dir.Sub("t" + n++);
            backups.RestoreToPointInTime(target, t);
            AssertSame(s.Data, ReadFamilies(target), $"time {t:O} (seed {seed})");
        }
    }

    private static SortedDictionary<string, string> ReadFamilies(string path)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var db = LatticeDb.Open(path, new DbOptions { CreateIfMissing = false });
        foreach (var name in new[] { "default", "other" })
        {
            var cf = name == "default" ? db.DefaultColumnFamily : db.GetColumnFamily(name);
            using var it = db.NewIterator(cf);
            for (it.SeekToFirst(); it.Valid; it.Next())
                all[$"{name}/{System.Text.Encoding.UTF8.GetString(it.Key)}"] = System.Text.Encoding.UTF8.GetString(it.Value);
        }
        return all;
    }
}
