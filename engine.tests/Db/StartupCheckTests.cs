using LatticeKV.Inspect;
using LatticeKV.Tests.Backup;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.HealingSupport;

namespace LatticeKV.Tests.Db;

public sealed class StartupCheckTests
{
    public enum Damage { Missing, Truncated, Footer, Index, DataBlock }

    internal static void Apply(Damage damage, string table)
    {
        switch (damage)
        {
            case Damage.Missing: File.Delete(table); break;
            case Damage.Truncated: Truncate(table); break;
            case Damage.Footer: DamageFooter(table); break;
            case Damage.Index: DamageIndex(table); break;
            case Damage.DataBlock: DamageDataBlock(table); break;
        }
    }

    /// <summary>A closed database of several tables; returns them in key order.</summary>
    internal static List<TableCopy> Build(string path, string backup)
    {
        using var db = LatticeDb.Open(path, Options());
        Fill(db);
        return ShareTables(db, backup);
    }

    [Theory]
    [InlineData(Damage.Missing, StartupCheck.Quick)]
    [InlineData(Damage.Truncated, StartupCheck.Quick)]
    [InlineData(Damage.Footer, StartupCheck.Quick)]
    [InlineData(Damage.Index, StartupCheck.Quick)]
    [InlineData(Damage.Missing, StartupCheck.Full)]
    [InlineData(Damage.Index, StartupCheck.Full)]
    [InlineData(Damage.DataBlock, StartupCheck.Full)]
    public void Open_DamagedTable_ThrowsNamingTheFile(Damage damage, StartupCheck check)
    {
        using var dir = new TempDir("startup");
        var tables = Build(dir.Sub("db"), dir.Sub("backup"));
        Apply(damage, tables[1].Path);
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = check)));
        Assert.Equal(tables[1].Path, ex.FilePath);
        if (damage == Damage.Truncated) Assert.Contains($"MANIFEST records {tables[1].Size}", ex.Message, StringComparison.Ordinal);
        var ro = Assert.Throws<CorruptionException>(() => LatticeDb.OpenReadOnly(dir.Sub("db"), Options(o => o.StartupCheck = check)));
        Assert.Equal(tables[1].Path, ro.FilePath);
    }

    [Fact]
    public void Open_DataBlockDamage_OnlyFullFindsIt()
    {
        using var dir = new TempDir("startup");
        var tables = Build(dir.Sub("db"), dir.Sub("backup"));
        DamageDataBlock(tables[2].Path);
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.Quick)))
        {
            // Quick leaves data blocks to the reads, which still find the damage.
            Assert.Equal(Value(0), db.Get(Key(0)));
            var ex = Assert.Throws<CorruptionException>(() => db.Get(tables[2].FirstKey));
            Assert.Equal(tables[2].Path, ex.FilePath);
        }
        var full = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.Full)));
        Assert.Equal(tables[2].Path, full.FilePath);
    }

    [Fact]
    public void Open_None_ChecksOnlyThatTablesExist()
    {
        using var dir = new TempDir("startup");
        var tables = Build(dir.Sub("db"), dir.Sub("backup"));
        DamageIndex(tables[0].Path);
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.None)))
            Assert.Throws<CorruptionException>(() => db.Get(tables[0].FirstKey));
        File.Delete(tables[1].Path);
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(dir.Sub("db"), Options(o => o.StartupCheck = StartupCheck.None)));
        Assert.Equal(tables[1].Path, ex.FilePath);
    }

    [Fact]
    public void Open_Quick_ReadsEveryTableButNoDataBlock()
    {
        using var dir = new TempDir("startup");
        var tables = Build(dir.Sub("db"), dir.Sub("backup"));
        var dataEnds = tables.ToDictionary(t => t.Path, t => DataEnd(t.Path, t.Number));

        var quick = new ReadCountingFileSystem(LatticeKV.Io.RealFileSystem.Instance);
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(o => { o.FileSystem = quick; o.StartupCheck = StartupCheck.Quick; })))
        {
            var reads = quick.Reads.Where(r => dataEnds.ContainsKey(r.Path)).ToList();
            Assert.Equal(tables.Count, reads.Select(r => r.Path).Distinct().Count());
            Assert.DoesNotContain(reads, r => r.Offset < dataEnds[r.Path]);
            // The tables stay open for the reads that follow.
            Assert.Equal(tables.Count, db.GetStatistics()["table.cache.open"]);
        }

        // The same count sees data blocks read when they are: a full check reads them all.
        var full = new ReadCountingFileSystem(LatticeKV.Io.RealFileSystem.Instance);
        using (LatticeDb.Open(dir.Sub("db"), Options(o => { o.FileSystem = full; o.StartupCheck = StartupCheck.Full; })))
            foreach (var t in tables) Assert.Contains(full.Reads, r => r.Path == t.Path && r.Offset == 0);
    }

    [Fact]
    public void Open_Full_ReportsProgressThroughEveryTableAndLog()
    {
        using var dir = new TempDir("startup");
        var tables = Build(dir.Sub("db"), dir.Sub("backup"));
        using (var db = LatticeDb.Open(dir.Sub("db"), Options()))
            db.Put(Key(1), Value(2)); // a log to replay
        long logs = Directory.EnumerateFiles(dir.Sub("db"), "*.log").Sum(f => new FileInfo(f).Length);
        Assert.True(logs > 0);
        var seen = new List<VerifyProgress>();
        using (LatticeDb.Open(dir.Sub("db"), Options(o => { o.StartupCheck = StartupCheck.Full; o.StartupCheckProgress = seen.Add; }))) { }
        Assert.All(seen, p => Assert.Equal(tables.Sum(t => t.Size) + logs, p.BytesTotal));
        Assert.Equal(seen.Select(p => p.BytesDone).Order(), seen.Select(p => p.BytesDone));
        Assert.Equal(seen[^1].BytesTotal, seen[^1].BytesDone);
        foreach (var t in tables) Assert.Contains(seen, p => p.File == t.Path);
        Assert.Contains(seen, p => p.File.EndsWith(".log", StringComparison.Ordinal));
    }
}
