using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

public sealed class BackupCreatorTests
{
    [Fact]
    public void CreateBackup_OfATableDamagedSinceItWasWritten_ThrowsCorruptionNamingIt_AndDoesNotStoreIt()
    {
        using var dir = new TempDir("bk-damaged");
        using var db = LatticeDb.Open(dir.Sub("db"), new DbOptions { WriteBufferSize = 64 << 10 });
        for (int i = 0; i < 5000; i++) db.Put(B($"k{i:D6}"), B($"v{i}-" + new string('x', 60)));
        db.CompactRange();
        db.WaitForCompactions(); // no background compaction may delete the table chosen below
        string table = Directory.GetFiles(dir.Sub("db"), "*.sst").OrderByDescending(f => new FileInfo(f).Length).First();
        using (var f = new FileStream(table, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            f.Position = f.Length / 2;
            int b = f.ReadByte();
            f.Position = f.Length / 2;
            f.WriteByte((byte)(b ^ 0x40));
        }
        using var backups = BackupEngine.Open(dir.Sub("backups"));

        var ex = Assert.Throws<CorruptionException>(() => backups.CreateBackup(db));

        Assert.Contains(Path.GetFileName(table), ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not match the checksum", ex.Message, StringComparison.Ordinal);
        Assert.Equal(table, ex.FilePath);
        // Neither the damaged copy nor its temporary file stays (shared names hold "-NUMBER-").
        string shared = Path.Combine(dir.Sub("backups"), "shared");
        string number = $"-{Path.GetFileNameWithoutExtension(table)}-";
        Assert.DoesNotContain(Directory.Exists(shared) ? Directory.GetFiles(shared) : [], n => Path.GetFileName(n).Contains(number, StringComparison.Ordinal));
        Assert.Empty(backups.ListBackups());
    }
}
