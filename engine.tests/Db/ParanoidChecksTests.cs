using LatticeKV.Io;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class ParanoidChecksTests
{
    private static (MemFileSystem Fs, string Table) Build()
    {
        var fs = new MemFileSystem();
        using (var db = LatticeDb.Open(DbPath, MemOptions(fs)))
        {
            for (int i = 0; i < 3000; i++) db.Put(B($"k{i:D5}"), B(new string('p', 50)));
            db.Flush();
        }
        return (fs, System.IO.Path.Combine(DbPath, fs.ListFiles(DbPath).Single(n => n.EndsWith(".sst", StringComparison.Ordinal))));
    }

    [Fact]
    public void Open_DamagedDataBlock_OnlyParanoidOpenFindsItUpFront()
    {
        var (fs, table) = Build();
        var bytes = fs.GetContents(table);
        bytes[200] ^= 0x04;
        fs.SetContents(table, bytes);

        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, MemOptions(fs, o => o.ParanoidChecks = true)));
        Assert.Equal(table, ex.FilePath);
        using var db = LatticeDb.Open(DbPath, MemOptions(fs, o => o.BlockCacheCapacity = 0)); // a normal open does not read every block
        Assert.Throws<CorruptionException>(() => db.Get(B("k00001")));                     // the read that meets the damage reports it
    }

    [Fact]
    public void Open_TableOfWrongSize_ParanoidOpenReportsIt()
    {
        var (fs, table) = Build();
        var bytes = fs.GetContents(table);
        fs.SetContents(table, bytes.Concat(new byte[100]).ToArray());
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, MemOptions(fs, o => o.ParanoidChecks = true)));
        Assert.Equal(table, ex.FilePath);
        Assert.Contains("bytes but the MANIFEST records", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TableMissing_AlwaysReported()
    {
        var (fs, table) = Build();
        fs.DeleteFile(table);
        var ex = Assert.Throws<CorruptionException>(() => LatticeDb.Open(DbPath, MemOptions(fs)));
        Assert.Equal(table, ex.FilePath);
    }
}
