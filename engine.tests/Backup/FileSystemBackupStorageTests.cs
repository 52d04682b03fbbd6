using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Backup;

/// <summary>The local directory store's promises (FileSystemBackupStorage) where the file system's own calls fall short of them.</summary>
public sealed class FileSystemBackupStorageTests
{
    [SkippableFact]
    public void Rename_BothNamesLinksOfOneFile_SourceNameIsGone()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "hard links are made with link(2)");
        using var dir = new TempDir("store");
        var storage = new FileSystemBackupStorage(dir.Sub("backups"));
        string source = dir.Sub("000007.log");
        File.WriteAllBytes(source, [1, 2, 3]);
        Assert.True(storage.TryLinkDurably(source, "archive/t/000007.log"));
        Assert.True(storage.TryLinkDurably(source, "archive/t/000007.log.tmp-0badf00d"));

        // rename(2) of one link of a file over another link of it succeeds and changes nothing.
        storage.Rename("archive/t/000007.log.tmp-0badf00d", "archive/t/000007.log");

        Assert.Equal(["000007.log"], storage.ListFiles("archive/t"));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(dir.Sub("backups/archive/t/000007.log")));
    }
}
