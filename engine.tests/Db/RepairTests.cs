using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class RepairTests
{
    private static DbOptions Small(MemFileSystem fs) => MemOptions(fs, o =>
    {
        o.WriteBufferSize = 32 * 1024;
        o.MaxBytesForLevelBase = 96 * 1024;
        o.TargetFileSizeBase = 32 * 1024;
        o.MaxBytesForLevelMultiplier = 3;
    });

    /// <summary>Data at several levels in two column families, overwrites, deletes, a range delete, and unflushed log data.</summary>
    private static (MemFileSystem Fs, Dictionary<(string Cf, string Key), string> Model) Build()
    {
        var fs = new MemFileSystem();
        var model = new Dictionary<(string, string), string>();
        using (var db = LatticeDb.Open(DbPath, Small(fs)))
        {
            var ledger = db.CreateColumnFamily("ledger");
            var rnd = new Random(7);
            for (int i = 0; i < 30_000; i++)
            {
                var (cf, name) = rnd.Next(3) == 0 ? (ledger, "ledger") : (db.DefaultColumnFamily, "default");
                string k = $"k{rnd.Next(8000):D5}";
                if (rnd.Next(10) == 0)
                {
                    db.Delete(cf, B(k));
                    model.Remove((name, k));
                }
                else
                {
                    string v = $"{i}:" + Convert.ToHexString(BitConverter.GetBytes(rnd.NextInt64())) + new string('x', rnd.Next(100));
                    db.Put(cf, B(k), B(v));
                    model[(name, k)] = v;
                }
                if (i == 15_000)
                {
                    db.DeleteRange(B("k01000"), B("k01500"));
                    foreach (var key in model.Keys.Where(x => x.Item1 == "default" && string.CompareOrdinal(x.Item2, "k01000") >= 0 && string.CompareOrdinal(x.Item2, "k01500") < 0).ToList())
                        model.Remove(key);
                }
            }
            db.WaitForCompactions();
            int deepest = Enumerable.Range(0, 7).Last(l => db.GetProperty($"lattice.num-files-at-level{l}") != "0");
            Assert.True(deepest >= 2, "the test database should reach level 2:\n" + db.GetProperty("lattice.levelstats"));
        }
        return (fs, model);
    }

    private static void AssertMatches(MemFileSystem fs, Dictionary<(string Cf, string Key), string> model, Func<string, string>? rename = null)
    {
        using var db = LatticeDb.Open(DbPath, Small(fs));
        foreach (var cfName in new[] { "default", "ledger" })
        {
            var cf = db.GetColumnFamily(rename?.Invoke(cfName) ?? cfName);
            var expected = model.Where(kv => kv.Key.Cf == cfName).OrderBy(kv => kv.Key.Key, StringComparer.Ordinal).Select(kv => (kv.Key.Key, kv.Value)).ToList();
            var actual = new List<(string, string)>();
            using (var it = db.NewIterator(cf))
                for (it.SeekToFirst(); it.Valid; it.Next()) actual.Add((S(it.Key.ToArray())!, S(it.Value.ToArray())!));
            Assert.Equal(expected, actual);
        }
        db.VerifyChecksums();
        db.Put(B("after-repair"), B("ok"));
    }

    [Fact]
    public void Repair_ManifestDeleted_RebuildsEverythingIncludingColumnFamilyNames()
    {
        var (fs, model) = Build();
        string manifest = fs.ListFiles(DbPath).Single(n => n.StartsWith("MANIFEST-", StringComparison.Ordinal));
        fs.DeleteFile(System.IO.Path.Combine(DbPath, manifest));
        Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, Small(fs)));

        var report = LatticeDb.Repair(DbPath, Small(fs));
        Assert.True(report.Complete, string.Join("\n", report.Problems));
        Assert.True(report.TablesRead > 3);
        Assert.Equal(["default", "ledger"], report.ColumnFamilies);
        AssertMatches(fs, model);
    }

    [Fact]
    public void Repair_ManifestCorrupted_RebuildsEverything()
    {
        var (fs, model) = Build();
        string manifest = System.IO.Path.Combine(DbPath, fs.ListFiles(DbPath).Single(n => n.StartsWith("MANIFEST-", StringComparison.Ordinal)));
        var bytes = fs.GetContents(manifest);
        bytes[bytes.Length / 3] ^= 0x20;
        fs.SetContents(manifest, bytes);
        Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, Small(fs)));

        var report = LatticeDb.Repair(DbPath, Small(fs));
        Assert.Contains(report.Problems, p => p.Contains("MANIFEST", StringComparison.Ordinal));
        AssertMatches(fs, model);
    }

    [Fact]
    public void Repair_CurrentLost_RebuildsEverything()
    {
        var (fs, model) = Build();
        fs.DeleteFile(System.IO.Path.Combine(DbPath, "CURRENT"));
        var report = LatticeDb.Repair(DbPath, Small(fs));
        Assert.True(report.Complete, string.Join("\n", report.Problems));
        Assert.Equal(0, report.TablesMissing);
        AssertMatches(fs, model);
    }

    [Fact]
    public void Repair_TableMissing_ReportsItLostWhileTheMissingDataIsGone()
    {
        var (fs, _) = Build();
        string victim = fs.ListFiles(DbPath).Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).Order(StringComparer.Ordinal).First();
        fs.DeleteFile(System.IO.Path.Combine(DbPath, victim));

        var report = LatticeDb.Repair(DbPath, Small(fs));
        Assert.False(report.Complete);
        Assert.Equal(1, report.TablesMissing);
        Assert.Contains(report.Problems, p => p.Contains(victim, StringComparison.Ordinal) && p.Contains("missing", StringComparison.Ordinal));
        using var db = LatticeDb.Open(DbPath, Small(fs));
        db.VerifyChecksums();
    }

    [Fact]
    public void Repair_DamagedTableBlock_KeepsEverythingElseAndReportsTheLoss()
    {
        var (fs, model) = Build();
        string table = System.IO.Path.Combine(DbPath, fs.ListFiles(DbPath).Where(n => n.EndsWith(".sst", StringComparison.Ordinal)).OrderBy(n => n).First());
        var bytes = fs.GetContents(table);
        bytes[10] ^= 0xFF; // the first data block
        fs.SetContents(table, bytes);
        fs.DeleteFile(System.IO.Path.Combine(DbPath, fs.ListFiles(DbPath).Single(n => n.StartsWith("MANIFEST-", StringComparison.Ordinal))));

        var report = LatticeDb.Repair(DbPath, Small(fs));
        Assert.False(report.Complete);
        Assert.Equal(1, report.TablesPartlyRead);
        Assert.True(report.BlocksLost >= 1);
        Assert.Contains(report.Problems, p => p.Contains(System.IO.Path.GetFileName(table), StringComparison.Ordinal));

        using var db = LatticeDb.Open(DbPath, Small(fs));
        int present = 0, olderVersions = 0;
        foreach (var ((cf, k), v) in model)
        {
            string? got = S(db.Get(db.GetColumnFamily(cf), B(k)));
            if (got is null) continue;
            present++;
            // A lost block can only make keys vanish or fall back to an older version they really had.
            if (got != v)
            {
                int gotWrite = int.Parse(got.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
                int modelWrite = int.Parse(v.Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(gotWrite < modelWrite, $"{cf}/{k}: repair produced write {gotWrite}, newer than the last write {modelWrite}");
                olderVersions++;
            }
        }
        Assert.True(present > model.Count * 9 / 10, $"only {present} of {model.Count} keys survived losing one block");
        Assert.True(olderVersions < model.Count / 10, $"{olderVersions} keys fell back to older versions");
    }

    [Fact]
    public void Repair_WrongComparator_RefusesAndMovesNothing()
    {
        var (fs, _) = Build();
        var before = fs.ListFiles(DbPath).Order().ToList();
        var options = Small(fs);
        options.Comparator = new ReverseComparator();
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Repair(DbPath, options));
        Assert.Equal(before, fs.ListFiles(DbPath).Order().ToList());
    }

    private sealed class ReverseComparator : KeyComparator
    {
        public override string Name => "test.reverse";

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => b.SequenceCompareTo(a);
    }
}
