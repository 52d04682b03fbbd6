using System.Text.Json;
using LatticeKV.Tests.Backup;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.HealingSupport;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv verify DB --repair-from BACKUPDIR</c>, run as a process.</summary>
public sealed class LkvVerifyRepairTests
{
    private static List<TableCopy> Build(TempDir dir)
    {
        using var db = LatticeDb.Open(dir.Sub("db"), Options());
        Fill(db);
        return ShareTables(db, dir.Sub("backup"));
    }

    private static JsonElement Run(TempDir dir, int expectedExit)
    {
        var r = Lkv.Run("verify", dir.Sub("db"), "--repair-from", dir.Sub("backup"), "--json");
        Assert.True(r.ExitCode == expectedExit, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void VerifyRepairFrom_TablesTheBackupHolds_AreReplacedAndTheDatabaseIsHealthy()
    {
        using var dir = new TempDir("lkv-heal");
        var tables = Build(dir);
        DamageDataBlock(tables[1].Path);
        File.Delete(tables[2].Path);
        Assert.Equal(11, Lkv.Run("verify", dir.Sub("db")).ExitCode);

        var root = Run(dir, 0);
        Assert.True(root.GetProperty("healthy").GetBoolean());
        var healed = root.GetProperty("healings").EnumerateArray().ToList();
        Assert.Equal(2, healed.Count);
        Assert.All(healed, h => Assert.True(h.GetProperty("healed").GetBoolean()));
        Assert.Equal([tables[1].Path, tables[2].Path], healed.Select(h => h.GetProperty("file").GetString()!).Order(StringComparer.Ordinal));
        foreach (var t in tables) Assert.Equal(File.ReadAllBytes(t.SharedPath), File.ReadAllBytes(t.Path));
        Assert.Equal(tables.Count, root.GetProperty("tables_checked").GetInt32());

        var again = Lkv.Run("verify", dir.Sub("db"));
        Assert.True(again.ExitCode == 0, again.ToString());
        using var db = LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.Full));
        AssertAllData(db);
    }

    [Fact]
    public void HealingsByARunningDatabase_AreReportedByVerifyAfterItCloses()
    {
        using var dir = new TempDir("lkv-heal");
        var tables = Build(dir);
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(o => o.RecoverFromBackup = dir.Sub("backup"))))
        {
            DamageDataBlock(tables[1].Path);
            AssertAllData(db); // the scan meets the damage and heals it
            Assert.Single(db.GetTableHealings());
        }
        var r = Lkv.Run("verify", dir.Sub("db"), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        var recorded = Assert.Single(doc.RootElement.GetProperty("recorded_healings").EnumerateArray());
        Assert.True(recorded.GetProperty("healed").GetBoolean());
        Assert.Equal(tables[1].Number, recorded.GetProperty("number").GetInt64());
        var text = Lkv.Run("verify", dir.Sub("db"));
        Assert.Contains("1 table(s) replaced from a backup", text.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyRepairFrom_TableTheBackupLacks_IsListedAndKeepsItsExitCode()
    {
        using var dir = new TempDir("lkv-heal");
        var tables = Build(dir);
        DamageDataBlock(tables[0].Path);
        File.Delete(tables[0].SharedPath);
        DamageIndex(tables[1].Path);

        var text = Lkv.Run("verify", dir.Sub("db"), "--repair-from", dir.Sub("backup"));
        Assert.True(text.ExitCode == 11, text.ToString());
        Assert.Contains("not healed", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("healed", text.Stdout.Replace("not healed", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var root = Run(dir, 11); // the second run has only the table the backup lacks left to try
        var problem = Assert.Single(root.GetProperty("problems").EnumerateArray());
        Assert.Equal(tables[0].Path, problem.GetProperty("file").GetString());
        var healing = Assert.Single(root.GetProperty("healings").EnumerateArray());
        Assert.False(healing.GetProperty("healed").GetBoolean());
        Assert.Contains("no copy", healing.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(tables[1].SharedPath), File.ReadAllBytes(tables[1].Path));
    }

    [Fact]
    public void VerifyRepairFrom_OpenDatabaseOrMissingBackup_IsRefused()
    {
        using var dir = new TempDir("lkv-heal");
        var tables = Build(dir);
        DamageDataBlock(tables[0].Path);
        var damaged = File.ReadAllBytes(tables[0].Path);
        using (LatticeDb.OpenReadOnly(dir.Sub("db"), Options()))
            LkvKeyValueTests.AssertUserError(Lkv.Run("verify", dir.Sub("db"), "--repair-from", dir.Sub("backup")), 4);
        LkvKeyValueTests.AssertUserError(Lkv.Run("verify", dir.Sub("db"), "--repair-from", dir.Sub("nowhere")), 3);
        Assert.Equal(damaged, File.ReadAllBytes(tables[0].Path));
    }
}
