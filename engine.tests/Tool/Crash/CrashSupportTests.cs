using LatticeKV.Io;
using LatticeKV.Tool.Crash;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Tool.Crash;

/// <summary>The torture's key format, reading a database back into views, and telling how far a killed open got.</summary>
public class CrashSupportTests
{
    [Theory]
    [InlineData("g00007/m1", true, 7, 1)]
    [InlineData("g123456/m3", true, 123456, 3)]
    [InlineData("g7/m1", false, 0, 0)]
    [InlineData("g00007/m4", false, 0, 0)]
    [InlineData("g00007/", false, 0, 0)]
    [InlineData("zzz", false, 0, 0)]
    public void TryParseKey_OnlyTheWorkloadsSpelling_Parses(string key, bool ok, int group, int member)
    {
        Assert.Equal(ok, CrashProtocol.TryParseKey(B(key), out int g, out int m));
        if (ok) Assert.Equal((group, member), (g, m));
    }

    [Fact]
    public void Read_DatabaseWithForeignAndMisplacedKeys_ScansNameThemAndPointReadsDoNot()
    {
        using var db = LatticeDb.Open(DbPath, MemOptions(new MemFileSystem()));
        var cf1 = db.CreateColumnFamily("cf1");
        for (int m = 0; m < CrashProtocol.KeysPerGroup; m++)
        {
            db.Put(CrashProtocol.Key(0, m), CrashProtocol.Value(4, m));
            db.Put(cf1, CrashProtocol.Key(1, m), CrashProtocol.Value(5, m));
        }
        db.Put(B("zzz"), B("1"));
        db.Put(CrashProtocol.Key(3, 0), CrashProtocol.Value(6, 0)); // group 3 lives in cf1
        db.Put(cf1, CrashProtocol.Key(1, 2), B("000000000005:wrong"));

        var views = DatabaseReader.Read(db, [0, 1], columnFamilies: 2);
        Assert.Equal(["Get", "forward scan", "backward scan"], views.Select(v => v.Name));
        Assert.Empty(views[0].StrayKeys);
        foreach (var view in views)
        {
            Assert.Equal([4, 4, 4, 4], view.Members(0));
            Assert.Equal([5, 5, ReadPathView.Damaged, 5], view.Members(1));
            Assert.Empty(view.OrderErrors);
        }
        foreach (var scan in views.Skip(1))
        {
            Assert.Equal(2, scan.StrayKeys.Count);
            Assert.Contains(scan.StrayKeys, s => s.Contains("'zzz' in default", StringComparison.Ordinal));
            Assert.Contains(scan.StrayKeys, s => s.Contains("group 3 lives in cf1", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(new[] { "000009.sst" }, KillPhase.LogReplay)]
    [InlineData(new[] { "000009.sst", "000010.log" }, KillPhase.RecoveryFlush)]
    [InlineData(new[] { "000010.log", "000011.sst", "MANIFEST-000012" }, KillPhase.FinishingOpen)]
    public void OfKilledOpen_FilesTheOpenCreated_TellHowFarItGot(string[] created, KillPhase expected)
    {
        string[] before = ["CURRENT", "LOCK", "MANIFEST-000005", "000004.log", "000006.sst"];
        Assert.Equal(expected, KillPhases.OfKilledOpen(before, [.. before, .. created]));
    }
}
