using System.IO.Hashing;
using LatticeKV.Backup;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.HealingSupport;

namespace LatticeKV.Tests.Backup;

public sealed class TableHealerTests
{
    /// <summary>A closed database, its tables' metadata as the MANIFEST has them, and its id.</summary>
    private static (List<FileMetaData> Tables, string DatabaseId) Build(string path)
    {
        using var db = LatticeDb.Open(path, Options());
        Fill(db);
        using var live = db.CaptureLiveFiles();
        return ([.. live.Files.Where(f => f.Kind == LiveFileKind.Table).Select(f => f.Table!)], db.Identity.DatabaseIdHex);
    }

    private static TableHealer Healer(string db, string id, string backup)
        => new(RealFileSystem.Instance, db, id, new BackupDirectoryTables(RealFileSystem.Instance, backup), new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), null, false));

    private static string Share(string backup, SharedTableName name, byte[] bytes)
    {
        string path = Path.Combine(backup, SharedTableName.Folder, name.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A table recorded before the MANIFEST kept checksums.</summary>
    private static FileMetaData WithoutChecksum(FileMetaData f) => new()
    {
        Number = f.Number, FileSize = f.FileSize, Smallest = f.Smallest, Largest = f.Largest, NumEntries = f.NumEntries,
    };

    [Fact]
    public void Heal_UnknownChecksum_TakesOnlyTheCopyWhoseBlocksVerify()
    {
        using var dir = new TempDir("healer");
        var (tables, id) = Build(dir.Sub("db"));
        var table = tables[0];
        string path = FileNames.Table(dir.Sub("db"), table.Number);
        var intact = File.ReadAllBytes(path);
        // A copy damaged inside a data block whose name carries its own checksum: only reading its blocks tells.
        var damaged = (byte[])intact.Clone();
        damaged[10] ^= 0x55;
        Share(dir.Sub("backup"), new SharedTableName(id, table.Number, table.FileSize, XxHash3.HashToUInt64(damaged)), damaged);
        File.Delete(path);

        var refused = Healer(dir.Sub("db"), id, dir.Sub("backup")).Heal(WithoutChecksum(table));
        Assert.False(refused.Healed);
        Assert.Contains("checksum mismatch", refused.Detail, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        Share(dir.Sub("backup"), new SharedTableName(id, table.Number, table.FileSize, XxHash3.HashToUInt64(intact)), intact);
        var healed = Healer(dir.Sub("db"), id, dir.Sub("backup")).Heal(WithoutChecksum(table));
        Assert.True(healed.Healed, healed.Detail);
        Assert.Equal(intact, File.ReadAllBytes(path));
        Assert.False(File.Exists(FileNames.Temp(dir.Sub("db"), table.Number)));
    }

    [Fact]
    public void Heal_UnknownChecksum_CopyWhoseNameLiesAboutItsChecksum_IsRefused()
    {
        using var dir = new TempDir("healer");
        var (tables, id) = Build(dir.Sub("db"));
        var table = tables[0];
        string path = FileNames.Table(dir.Sub("db"), table.Number);
        Share(dir.Sub("backup"), new SharedTableName(id, table.Number, table.FileSize, 0x1234), File.ReadAllBytes(path));
        File.Delete(path);
        var outcome = Healer(dir.Sub("db"), id, dir.Sub("backup")).Heal(WithoutChecksum(table));
        Assert.False(outcome.Healed);
        Assert.Contains("0000000000001234 expected", outcome.Detail, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Heal_CopyOfAnotherDatabase_IsNotTaken()
    {
        using var dir = new TempDir("healer");
        var (tables, id) = Build(dir.Sub("db"));
        var table = tables[0];
        string path = FileNames.Table(dir.Sub("db"), table.Number);
        string other = new('0', 32);
        Assert.NotEqual(id, other);
        Share(dir.Sub("backup"), new SharedTableName(other, table.Number, table.FileSize, table.Checksum), File.ReadAllBytes(path));
        File.Delete(path);
        var outcome = Healer(dir.Sub("db"), id, dir.Sub("backup")).Heal(table);
        Assert.False(outcome.Healed);
        Assert.Contains("no copy", outcome.Detail, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
