using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Blob files in backups (FORMAT.md §13.3): stored once in <c>shared/</c> under database id,
/// number, size and XXH3, shared by every backup that lists them, collected once no backup does.
/// </summary>
public sealed class BlobBackupTests
{
    private static DbOptions Options()
    {
        var o = new DbOptions { WriteBufferSize = 64 << 10 };
        o.DefaultColumnFamilyOptions.BlobValueThreshold = 1000;
        return o;
    }

    private static void FillLarge(LatticeDb db, int from, int to, string tag)
    {
        for (int i = from; i < to; i++) db.Put(B($"k{i:D4}"), B($"{tag}-{i}-" + new string((char)('a' + i % 26), 3000)));
    }

    private static string[] SharedBlobs(string backups) => [.. Directory.GetFiles(Path.Combine(backups, "shared"), "*.blob").Select(Path.GetFileName).Order()!];

    [Fact]
    public void TwoBackups_UnchangedBlobFile_StoredOnceAndNotCountedAsNewBytes_DeleteOneRestoreOtherExact()
    {
        using var dir = new TempDir("bk-blob");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        BackupInfo first, second;
        SortedDictionary<string, string> atSecond;
        string[] blobsAfterFirst;
        long blobBytes;
        using (var db = LatticeDb.Open(dir.Sub("db"), Options()))
        {
            FillLarge(db, 0, 30, "a");
            db.Flush();
            first = backups.CreateBackup(db);
            blobsAfterFirst = SharedBlobs(root);
            blobBytes = Directory.GetFiles(Path.Combine(root, "shared"), "*.blob").Sum(f => new FileInfo(f).Length);
            db.Put(B("small"), B("changed"));
            second = backups.CreateBackup(db);
            atSecond = ReadAll(db);
        }
        Assert.NotEmpty(blobsAfterFirst);
        Assert.Equal(blobsAfterFirst, SharedBlobs(root));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(root, "private"), "*.blob", SearchOption.AllDirectories));
        Assert.True(second.NewBytes <= second.Size - blobBytes, $"the second backup counted {second.NewBytes} new bytes of {second.Size}, {blobBytes} of them in shared blob files");
        Assert.True(first.NewBytes >= blobBytes);

        backups.DeleteBackup(first.Id);
        Assert.Equal(blobsAfterFirst, SharedBlobs(root)); // the remaining backup still lists them
        backups.VerifyBackup(second.Id);
        backups.RestoreBackup(second.Id, dir.Sub("restored"));
        AssertSame(atSecond, ReadAll(dir.Sub("restored")), "restored second backup");
        foreach (var name in blobsAfterFirst)
        {
            string number = name.Split('-')[1];
            var restored = Path.Combine(dir.Sub("restored"), number + ".blob");
            Assert.Equal(File.ReadAllBytes(Path.Combine(root, "shared", name)), File.ReadAllBytes(restored));
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Sub("db"), number + ".blob")), File.ReadAllBytes(restored));
        }

        backups.DeleteBackup(second.Id);
        Assert.Empty(SharedBlobs(root));
    }

    [Fact]
    public void InterruptedBlobUpload_LeavesATemporaryThatGarbageCollectRemoves_AndTheNextBackupRestores()
    {
        using var dir = new TempDir("bk-blob-gc");
        string root = dir.Sub("backups");
        using var db = LatticeDb.Open(dir.Sub("db"), Options());
        FillLarge(db, 0, 20, "a");
        db.Flush();
        var failing = new RenameFailingStorage(new FileSystemBackupStorage(root));
        using (var broken = BackupEngine.Open(failing))
            Assert.ThrowsAny<IOException>(() => broken.CreateBackup(db));
        Assert.True(failing.Failed);
        Assert.Contains(Directory.GetFiles(Path.Combine(root, "shared")), f => f.Contains(".blob.tmp-", StringComparison.Ordinal));

        using var backups = BackupEngine.Open(root);
        Assert.Empty(backups.ListBackups());
        Assert.True(backups.GarbageCollect() >= 1);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(root, "shared")), f => f.Contains(".tmp-", StringComparison.Ordinal));
        var info = backups.CreateBackup(db);
        backups.VerifyBackup(info.Id);
        backups.RestoreBackup(info.Id, dir.Sub("restored"));
        AssertSame(ReadAll(db), ReadAll(dir.Sub("restored")), "restored after an interrupted run");
    }

    [Fact]
    public void OlderBackupWithPrivateBlobCopies_SurvivesCollectionAndRestoresExact()
    {
        using var dir = new TempDir("bk-blob-old");
        string root = dir.Sub("backups");
        var storage = new FileSystemBackupStorage(root);
        using var backups = BackupEngine.Open(storage);
        SortedDictionary<string, string> atFirst;
        using (var db = LatticeDb.Open(dir.Sub("db"), Options()))
        {
            FillLarge(db, 0, 20, "a");
            db.Flush();
            var first = backups.CreateBackup(db);
            atFirst = ReadAll(db);
            // Rewrite backup 1 as builds before shared blob files wrote it: its blob files in private/1/.
            var old = LatticeKV.Backup.BackupCatalog.Read(storage, first.Id);
            var files = new List<LatticeKV.Backup.BackupFileEntry>();
            foreach (var f in old.Files)
            {
                if (f.Kind != "blob")
                {
                    files.Add(f);
                    continue;
                }
                string privatePath = LatticeKV.Backup.BackupDescriptor.PrivateFolder(first.Id) + "/" + f.Name;
                File.Move(Path.Combine(root, f.StoredPath), Path.Combine(root, privatePath));
                files.Add(f with { StoredPath = privatePath });
            }
            Assert.Contains(files, f => f.Kind == "blob");
            File.WriteAllBytes(Path.Combine(root, LatticeKV.Backup.BackupDescriptor.PathOf(first.Id)), (old with { Files = files }).Encode());
            Assert.Empty(SharedBlobs(root));

            FillLarge(db, 20, 30, "b");
            db.Flush();
            backups.CreateBackup(db); // shares the same blob files anew; backup 1 keeps its private copies
        }
        Assert.NotEmpty(SharedBlobs(root));
        backups.GarbageCollect();
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "private", "1"), "*.blob"));
        backups.VerifyBackup(1);
        backups.RestoreBackup(1, dir.Sub("restored"));
        AssertSame(atFirst, ReadAll(dir.Sub("restored")), "older backup with private blob copies");
    }

    /// <summary>Storage whose first rename of a finished blob upload fails, as a run killed right after the copy would leave it.</summary>
    private sealed class RenameFailingStorage(IBackupStorage inner) : ForwardingBackupStorage(inner)
    {
        public bool Failed { get; private set; }

        public override void Rename(string from, string to)
        {
            if (!Failed && to.EndsWith(".blob", StringComparison.Ordinal))
            {
                Failed = true;
                throw new IOException("injected: the run stops after uploading " + from);
            }
            base.Rename(from, to);
        }
    }
}
