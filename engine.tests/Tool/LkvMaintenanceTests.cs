using System.Text.Json;
using LatticeKV.Inspect;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv verify|repair|compact|stats</c>, help, and the read-only promise of the read commands.</summary>
public sealed class LkvMaintenanceTests(KnownDatabase known) : IClassFixture<KnownDatabase>
{
    private static void FlipByte(string file, long offset)
    {
        var bytes = File.ReadAllBytes(file);
        bytes[offset] ^= 0x20;
        File.WriteAllBytes(file, bytes);
    }

    private static JsonElement VerifyJson(string path, int expectedExit)
    {
        var r = Lkv.Run("verify", path, "--json");
        Assert.True(r.ExitCode == expectedExit, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(expectedExit, doc.RootElement.GetProperty("exit_code").GetInt32());
        return doc.RootElement.Clone();
    }

    private static void AssertContents(string path, KnownDatabase known)
    {
        using var db = LatticeDb.OpenReadOnly(path);
        var all = new List<KeyValuePair<byte[], byte[]>>();
        using (var it = db.NewIterator())
            for (it.SeekToFirst(); it.Valid; it.Next()) all.Add(new(it.Key.ToArray(), it.Value.ToArray()));
        Assert.Equal(known.Expected.Select(kv => Convert.ToHexString(kv.Key) + "=" + Convert.ToHexString(kv.Value)),
            all.Select(kv => Convert.ToHexString(kv.Key) + "=" + Convert.ToHexString(kv.Value)));
    }

    [Fact]
    public void Verify_Healthy_ExitsZeroAndCountsEverything()
    {
        var root = VerifyJson(known.Path, 0);
        Assert.True(root.GetProperty("healthy").GetBoolean());
        var info = DatabaseInspector.Inspect(known.Path);
        Assert.Equal(info.ColumnFamilies.Sum(c => c.Levels.Sum(l => l.Files.Count)), root.GetProperty("tables_checked").GetInt32());
        Assert.Equal(1, root.GetProperty("logs_checked").GetInt32());
        Assert.Equal(0, root.GetProperty("problems").GetArrayLength());
        var text = Lkv.Run("verify", known.Path);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("healthy", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EachFailureKind_HasItsExitCodeAndNamesTheFile()
    {
        var info = DatabaseInspector.Inspect(known.Path);
        var table = info.ColumnFamilies.SelectMany(c => c.Levels).SelectMany(l => l.Files).OrderByDescending(f => f.FileSize).First();

        using (var dir = new TempDir("lkv-verify"))
        {
            string path = known.CopyTo(dir);
            FlipByte(Path.Combine(path, table.FileName), 100);
            var root = VerifyJson(path, 11);
            var problem = Assert.Single(root.GetProperty("problems").EnumerateArray());
            Assert.Equal("TableDamaged", problem.GetProperty("kind").GetString());
            Assert.EndsWith(table.FileName, problem.GetProperty("file").GetString(), StringComparison.Ordinal);
            var text = Lkv.Run("verify", path);
            Assert.Equal(11, text.ExitCode);
            Assert.Contains(table.FileName, text.Stdout, StringComparison.Ordinal);
        }
        using (var dir = new TempDir("lkv-verify"))
        {
            string path = known.CopyTo(dir);
            File.Delete(Path.Combine(path, table.FileName));
            var problem = Assert.Single(VerifyJson(path, 12).GetProperty("problems").EnumerateArray());
            Assert.Equal("TableMissing", problem.GetProperty("kind").GetString());
        }
        using (var dir = new TempDir("lkv-verify"))
        {
            string path = known.CopyTo(dir);
            FlipByte(Path.Combine(path, info.Manifest), 40);
            var root = VerifyJson(path, 10);
            Assert.Contains(root.GetProperty("problems").EnumerateArray(), p => p.GetProperty("kind").GetString() == "ManifestDamaged");
        }
        using (var dir = new TempDir("lkv-verify"))
        {
            string path = known.CopyTo(dir);
            FlipByte(Path.Combine(path, info.LogFiles[0].FileName), 12);
            var problem = Assert.Single(VerifyJson(path, 13).GetProperty("problems").EnumerateArray());
            Assert.Equal("LogDamaged", problem.GetProperty("kind").GetString());
            Assert.EndsWith(info.LogFiles[0].FileName, problem.GetProperty("file").GetString(), StringComparison.Ordinal);
        }
        using (var dir = new TempDir("lkv-verify"))
        {
            LkvKeyValueTests.AssertUserError(Lkv.Run("verify", dir.Sub("missing")), 3);
            string path = known.CopyTo(dir);
            using var db = LatticeDb.Open(path);
            LkvKeyValueTests.AssertUserError(Lkv.Run("verify", path), 4);
        }
    }

    [Fact]
    public void Repair_LostManifest_RestoresEverything_AndDamagedTableIsReported()
    {
        using (var dir = new TempDir("lkv-repair"))
        {
            string path = known.CopyTo(dir);
            foreach (var m in Directory.EnumerateFiles(path, "MANIFEST-*")) File.Delete(m);
            File.Delete(Path.Combine(path, "CURRENT"));
            var r = Lkv.Run("repair", path);
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("nothing was lost", r.Stdout, StringComparison.Ordinal);
            AssertContents(path, known);
            Assert.Equal(0, Lkv.Run("verify", path).ExitCode);
        }
        using (var dir = new TempDir("lkv-repair"))
        {
            string path = known.CopyTo(dir);
            var table = DatabaseInspector.Inspect(path).ColumnFamilies.SelectMany(c => c.Levels).SelectMany(l => l.Files).OrderByDescending(f => f.FileSize).First();
            FlipByte(Path.Combine(path, table.FileName), 100);
            var r = Lkv.Run("repair", path);
            Assert.True(r.ExitCode == 20, r.ToString());
            Assert.Equal(0, Lkv.Run("verify", path).ExitCode);
        }
        using (var dir = new TempDir("lkv-repair"))
        {
            LkvKeyValueTests.AssertUserError(Lkv.Run("repair", dir.Sub("missing")), 3);
        }
    }

    [Fact]
    public void Compact_EmptiesLevelZero_AndKeepsTheData()
    {
        using var dir = new TempDir("lkv-compact");
        string path = known.CopyTo(dir);
        Assert.True(known.LevelFiles["default"][0] > 0, "the fixture leaves tables in level 0");
        var r = Lkv.Run("compact", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        var info = DatabaseInspector.Inspect(path);
        foreach (var cf in info.ColumnFamilies) Assert.Empty(cf.Levels[0].Files);
        long before = known.LevelBytes.Values.Sum(b => b.Sum());
        Assert.True(info.TotalBytes < before, $"compaction drops overwritten values: {info.TotalBytes} >= {before}");
        AssertContents(path, known);
        LkvKeyValueTests.AssertUserError(Lkv.Run("compact", path, "--cf", "nope"), 5);
        Assert.Equal(0, Lkv.Run("compact", path, "--cf", "ledger").ExitCode);
    }

    [Fact]
    public void Stats_Json_HasCountersAndEveryColumnFamily()
    {
        var r = Lkv.Run("stats", known.Path, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var families = doc.RootElement.GetProperty("column_families");
        long keys = long.Parse(families.GetProperty("default").GetProperty("lattice.estimate-num-keys").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(keys >= known.Expected.Count, $"estimate {keys} below {known.Expected.Count}");
        Assert.Equal(known.LevelBytes["ledger"].Sum().ToString(System.Globalization.CultureInfo.InvariantCulture),
            families.GetProperty("ledger").GetProperty("lattice.total-sst-files-size").GetString());
        Assert.True(doc.RootElement.GetProperty("counters").TryGetProperty("write.batches", out _));
        Assert.Equal(0, Lkv.Run("stats", known.Path, "--cf", "ledger").ExitCode);
        LkvKeyValueTests.AssertUserError(Lkv.Run("stats", known.Path, "--cf", "nope"), 5);
    }

    [Fact]
    public void ReadCommands_ChangeNothing_AndRunBesideEachOther()
    {
        var before = DirectoryFingerprint.Of(known.Path);
        using var dir = new TempDir("lkv-ro");
        foreach (var args in new[]
        {
            new[] { "get", known.Path, "acct/00010" },
            ["scan", known.Path, "--limit", "5"],
            ["stats", known.Path],
            ["inspect", known.Path],
            ["inspect", known.Path, "--html", dir.Sub("r.html")],
            ["dump", known.Path, "--limit", "10"],
            ["verify", known.Path],
        })
        {
            var r = Lkv.Run(args);
            Assert.True(r.ExitCode == 0, string.Join(' ', args) + "\n" + r);
        }
        // A read-only instance in this process does not keep lkv's readers out.
        using (var reader = LatticeDb.OpenReadOnly(known.Path))
            Assert.Equal(0, Lkv.Run("get", known.Path, "acct/00010").ExitCode);
        Assert.Equal(before, DirectoryFingerprint.Of(known.Path));
    }

    [Fact]
    public void Help_IsCompleteForEveryCommand()
    {
        var top = Lkv.Run("--help");
        Assert.Equal(0, top.ExitCode);
        string[] commands = ["demo", "get", "put", "delete", "scan", "dump", "inspect", "verify", "repair", "compact", "stats", "rekey", "shred", "change-passphrase", "torture"];
        foreach (var c in commands)
        {
            Assert.Contains(c, top.Stdout, StringComparison.Ordinal);
            var help = Lkv.Run(c, "--help");
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("Usage:", help.Stdout, StringComparison.Ordinal);
            Assert.Contains("lkv " + c, help.Stdout, StringComparison.Ordinal);
        }
        LkvKeyValueTests.AssertUserError(Lkv.Run("frobnicate"), 2);
    }

    /// <summary>
    /// The help lists no test-only command, yet torture still runs its hidden child; a
    /// <c>--dir</c> the user gives is only added to: its files stay, and an earlier run's
    /// database there is not reused.
    /// </summary>
    [Fact]
    public void Torture_RunsItsHiddenChild_AndKeepsEverythingInItsDir()
    {
        var top = Lkv.Run("--help");
        Assert.Equal(0, top.ExitCode);
        Assert.DoesNotContain("crash-child", top.Stdout, StringComparison.Ordinal);

        using var dir = new TempDir("lkv-torture");
        string work = dir.Sub("work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "keep.txt"), "mine");
        var r = Lkv.Run(["torture", "--minutes", "0.02", "--mode", "kill", "--seed", "5", "--dir", work], timeout: TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.ToString());
        var kills = System.Text.RegularExpressions.Regex.Match(r.Stdout, @"kill cycles \(SIGKILL\)\s*\S\s*(\d+)");
        Assert.True(kills.Success && int.Parse(kills.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, r.ToString());
        Assert.Equal("mine", File.ReadAllText(Path.Combine(work, "keep.txt")));
        Assert.True(File.Exists(Path.Combine(work, "kill", "CURRENT")), "the run's database is kept in --dir");

        var before = DirectoryFingerprint.Of(work);
        LkvKeyValueTests.AssertUserError(Lkv.Run("torture", "--minutes", "0.02", "--mode", "kill", "--dir", work), 2);
        Assert.Equal(before, DirectoryFingerprint.Of(work));
        string file = Path.Combine(work, "keep.txt");
        LkvKeyValueTests.AssertUserError(Lkv.Run("torture", "--minutes", "0.02", "--mode", "kill", "--dir", file), 2);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--groups", "-1")]
    public void CrashChild_CountOutOfRange_IsAUsageErrorAndCreatesNothing(string option, string value)
    {
        using var dir = new TempDir("lkv-child");
        string path = dir.Sub("db");
        var r = Lkv.Run("crash-child", path, option, value);
        LkvKeyValueTests.AssertUserError(r, 2);
        Assert.Contains(option, r.Stderr, StringComparison.Ordinal);
        Assert.False(Path.Exists(path));
    }

    [Fact]
    public void Demo_SmallRun_LoadsReadsAndReports()
    {
        using var dir = new TempDir("lkv-demo");
        string path = dir.Sub("demo");
        var r = Lkv.Run("demo", "--path", path, "--accounts", "500", "--transactions", "5000", "--notes", "20", "--reads", "500");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("Ops/s", r.Stdout, StringComparison.Ordinal);
        using var db = LatticeDb.OpenReadOnly(path);
        int accounts = 0;
        using (var it = db.NewIterator(db.GetColumnFamily("accounts")))
            for (it.SeekToFirst(); it.Valid; it.Next()) accounts++;
        Assert.Equal(500, accounts);
    }
}
