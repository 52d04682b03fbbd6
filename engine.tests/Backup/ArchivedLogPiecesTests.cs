using LatticeKV.Backup;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Retired logs archived as the pieces a backup already stores plus what was appended since
/// (<see cref="ArchivedLogPieces"/>, <see cref="LogArchive.ArchiveAsPieces"/>, backup format 3):
/// point-in-time restore replays them, collections keep their pieces while the list is kept,
/// damage is named, a busy store or an interrupted archive falls back without losing the log.
/// </summary>
public sealed class ArchivedLogPiecesTests
{
    private static DbOptions Options(string root, Action<string>? whileWritten = null) => new()
    {
        WriteBufferSize = 4 << 20, // no flush but the test's own
        AutoBackup = new AutoBackupOptions { Directory = root, Interval = TimeSpan.FromDays(1) },
        TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true, LogArchiveWritten = whileWritten },
    };

    private static string[] Lists(string root) => Directory.Exists(Path.Combine(root, "archive"))
        ? Directory.GetFiles(Path.Combine(root, "archive"), "*" + ArchivedLogPieces.Extension, SearchOption.AllDirectories) : [];

    private static string[] WholeArchives(string root) => Directory.Exists(Path.Combine(root, "archive"))
        ? Directory.GetFiles(Path.Combine(root, "archive"), "*.log", SearchOption.AllDirectories) : [];

    /// <summary>
    /// A backup at open, writes, a backup that stores the log's prefix, more writes (the target),
    /// a flush that retires the log; returns the target, the state there and the counters.
    /// </summary>
    private static (ulong Target, SortedDictionary<string, string> AtTarget, IReadOnlyDictionary<string, long> Counters) BackupThenRetire(
        string path, DbOptions opts, Action<LatticeDb>? beforeFlush = null)
    {
        var db = LatticeDb.Open(path, opts);
        Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
        Fill(db, 0, 2000, "a");
        Assert.NotNull(db.RunAutoBackupNow());
        Fill(db, 2000, 2600, "b");
        ulong target = db.LatestSequenceNumber;
        var atTarget = ReadAll(db);
        beforeFlush?.Invoke(db);
        db.Flush();
        Fill(db, 2600, 2700, "c");
        var auto = db.AutoBackupService!;
        // Closed: every purge, and with it every archive, has run.
        db.Dispose();
        return (target, atTarget, auto.Counters);
    }

    [Fact]
    public void Archive_ABackupHoldsThePrefix_ArchivesOnlyTheRestAsAPieceAndRestoreReplaysIt()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        var (target, atTarget, counters) = BackupThenRetire(dir.Sub("db"), Options(root));

        Assert.Equal(1, counters["logs.archived-pieced"]);
        Assert.Equal(0, counters["logs.archive-failed"]);
        var list = ArchivedLogPieces.Read(new FileSystemBackupStorage(root), Path.GetRelativePath(root, Assert.Single(Lists(root))).Replace('\\', '/'));
        Assert.Equal(2, list.Parts.Count);
        // Only the bytes appended after the backup were stored again.
        Assert.Equal(list.Size - list.Parts[0].Size, counters["logs.archived-piece-bytes"]);
        Assert.DoesNotContain(WholeArchives(root), p => Path.GetFileName(p) == list.Name);
        AssertRestoresToSequence(root, dir.Sub("pitr"), target, atTarget, "restored through a log archived as pieces");
    }

    [Fact]
    public void Collect_TheBackupThatStoredThePiecesDeleted_KeepsThemWhileTheListIsKept()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        var (target, atTarget, _) = BackupThenRetire(dir.Sub("db"), Options(root));
        using (var backups = BackupEngine.Open(root))
        {
            // Backup 2 stored the prefix; backup 1 (at open) still needs the archived log, so the list and its pieces stay.
            backups.DeleteBackup(2);
            Assert.Single(backups.ListBackups());
            Assert.Equal(0, backups.GarbageCollect());
        }
        Assert.Single(Lists(root));
        AssertRestoresToSequence(root, dir.Sub("pitr"), target, atTarget, "restored from backup 1 and the pieced archive after backup 2 was deleted");

        using (var backups = BackupEngine.Open(root))
        {
            // Without a backup at or before the log, the list goes, and its pieces with it.
            backups.DeleteBackup(1);
            backups.GarbageCollect();
        }
        Assert.Empty(Lists(root));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "shared"), "*" + LogPieceName.Extension));
    }

    [Fact]
    public void RestoreToSequence_APieceOfTheArchiveDamaged_FailsNamingThePiece()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        var (target, _, _) = BackupThenRetire(dir.Sub("db"), Options(root));
        var list = ArchivedLogPieces.Read(new FileSystemBackupStorage(root), Path.GetRelativePath(root, Assert.Single(Lists(root))).Replace('\\', '/'));
        string piece = Path.Combine(root, list.Parts[^1].Path);
        var bytes = File.ReadAllBytes(piece);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(piece, bytes);

        using var backups = BackupEngine.Open(root);
        var ex = Assert.Throws<CorruptionException>(() => backups.RestoreToSequence(dir.Sub("pitr"), target));
        Assert.Contains(Path.GetFileName(piece), ex.Message + ex.FilePath, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("pitr")) && Directory.EnumerateFileSystemEntries(dir.Sub("pitr")).Any(), "a failed restore left files");
    }

    [Fact]
    public void Archive_StoreLockedByAnotherOperation_ArchivesTheLogWhole()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        IDisposable? held = null;
        // Another operation holds the store (a backup, a purge): the archiver does not wait for it.
        var (target, atTarget, counters) = BackupThenRetire(dir.Sub("db"), Options(root),
            beforeFlush: _ => held = new FileSystemBackupStorage(root).Lock(exclusive: true, TimeSpan.Zero));
        held!.Dispose();

        Assert.Equal(0, counters["logs.archived-pieced"]);
        Assert.Equal(0, counters["logs.archive-failed"]);
        Assert.Empty(Lists(root));
        Assert.NotEmpty(WholeArchives(root));
        AssertRestoresToSequence(root, dir.Sub("pitr"), target, atTarget, "restored through a log archived whole");
    }

    [Fact]
    public void Archive_ABackupDescriptorDamaged_ArchivesTheLogWholeInsteadOfKeepingIt()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        // The pieced archive reads the catalog; a damaged descriptor there must not stop the log's archive.
        var (_, _, counters) = BackupThenRetire(dir.Sub("db"), Options(root),
            beforeFlush: _ => File.WriteAllText(Path.Combine(root, BackupDescriptor.Folder, "2"), "{ not a descriptor"));

        Assert.Equal(0, counters["logs.archived-pieced"]);
        Assert.True(counters["logs.pieced-archive-fallbacks"] >= 1, "the damaged catalog was not seen");
        Assert.Equal(0, counters["logs.archive-failed"]);
        Assert.True(counters["logs.archived"] >= 1, "the retired log was not archived");
        Assert.Empty(Lists(root));
        Assert.NotEmpty(WholeArchives(root));
        var archived = WholeArchives(root).Select(Path.GetFileName).ToHashSet();
        // Archived, the log left the database.
        Assert.DoesNotContain(Directory.GetFiles(dir.Sub("db"), "*.log"), p => archived.Contains(Path.GetFileName(p)));
    }

    [Fact]
    public void List_ADamagedListOfAnEarlierLog_ReadOnlyFromTheLogsAsked()
    {
        using var dir = new TempDir("archived-pieces");
        var storage = new FileSystemBackupStorage(dir.Sub("backups"));
        const string timeline = "00112233aabbccdd";
        Directory.CreateDirectory(Path.Combine(storage.Location, LogArchive.FolderOf(timeline)));
        File.WriteAllText(Path.Combine(storage.Location, ArchivedLogPieces.PathOf(timeline, 1)), "{ damaged");
        File.WriteAllBytes(Path.Combine(storage.Location, LogArchive.FolderOf(timeline), LatticeKV.Io.FileNames.LogName(5)), new byte[10]);

        // A restore from a backup whose first log is 3 never needs log 1's list.
        var from3 = LogArchive.List(storage, timeline, from: 3);
        Assert.Equal([5L], from3.Keys);
        Assert.Throws<CorruptionException>(() => LogArchive.List(storage, timeline));
    }

    [Fact]
    public void Archive_InterruptedBeforeTheListIsInPlace_KeepsTheLogAndArchivesItLater()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        string path = dir.Sub("db");
        int interrupted = 0;
        void Interrupt(string temp)
        {
            if (temp.Contains(ArchivedLogPieces.Extension, StringComparison.Ordinal) && Interlocked.Exchange(ref interrupted, 1) == 0)
                throw new IOException("injected: the archiver stops before the list's rename");
        }
        var (target, atTarget, counters) = BackupThenRetire(path, Options(root, Interrupt));
        Assert.Equal(1, interrupted);
        Assert.Equal(1, counters["logs.archive-failed"]);
        // The log was kept; the next open archives it (pieced again or whole), and a collection removes the leftovers.
        using (var db = LatticeDb.Open(path, Options(root)))
        {
            Fill(db, 3000, 3100, "d");
            db.Flush();
            Assert.Equal(0, db.AutoBackupService!.Counters["logs.archive-failed"]);
        }
        using (var backups = BackupEngine.Open(root))
        {
            backups.GarbageCollect();
            foreach (var b in backups.ListBackups()) backups.VerifyBackup(b.Id);
        }
        Assert.Empty(Directory.GetFiles(root, "*.tmp-*", SearchOption.AllDirectories));
        AssertRestoresToSequence(root, dir.Sub("pitr"), target, atTarget, "restored after an interrupted archive");
    }

    /// <summary>
    /// The archiver's cleanup of temporaries (at open; an explicit collection spares the same
    /// ones) running while this process writes an archive list leaves the list's temporary alone,
    /// as it does a whole archive's: the list is registered as an archive in progress.
    /// </summary>
    [Fact]
    public void RemoveTemporaries_WhileAListIsBeingWritten_SparesItsTemporary()
    {
        using var dir = new TempDir("archived-pieces");
        string root = dir.Sub("backups");
        var removed = new List<string>();
        void Clean(string temp)
        {
            if (!temp.Contains(ArchivedLogPieces.Extension, StringComparison.Ordinal)) return;
            var storage = new FileSystemBackupStorage(root);
            LogArchive.RemoveTemporaries(storage, temp.Split('/')[1]);
            if (!storage.Exists(temp)) removed.Add(temp);
        }
        var (target, atTarget, counters) = BackupThenRetire(dir.Sub("db"), Options(root, Clean));

        Assert.True(removed.Count == 0, "the cleanup removed a list being written: " + string.Join(", ", removed));
        Assert.Equal(1, counters["logs.archived-pieced"]);
        Assert.Equal(0, counters["logs.archive-failed"]);
        AssertRestoresToSequence(root, dir.Sub("pitr"), target, atTarget, "restored through a list written during a cleanup");
    }

    [Fact]
    public void Decode_DamagedOrHostileList_ThrowsCorruption()
    {
        var entry = new BackupFileEntry("000015.log", "shared/a.logpiece", "log", 10, 7,
            [new BackupPiece("shared/a.logpiece", 0, 6, 1), new BackupPiece("shared/b.logpiece", 6, 4, 2)]);
        var good = ArchivedLogPieces.Encode(entry);
        var back = ArchivedLogPieces.Decode(good, "x");
        Assert.Equal(entry.Parts, back.Parts);
        Assert.Equal((entry.Name, entry.Size, entry.Checksum), (back.Name, back.Size, back.Checksum));

        var flipped = (byte[])good.Clone();
        flipped[20] ^= 1;
        Assert.Throws<CorruptionException>(() => ArchivedLogPieces.Decode(flipped, "x"));
        Assert.Throws<CorruptionException>(() => ArchivedLogPieces.Decode(good.AsSpan(0, good.Length - 3), "x"));
        // A list whose pieces do not add up, or that names a path outside the store, is refused even with a valid checksum.
        foreach (var bad in new[]
        {
            entry with { Size = 11 },
            entry with { Name = "../000015.log" },
            entry with { Pieces = [new BackupPiece("../a.logpiece", 0, 10, 1)] },
        })
            Assert.Throws<CorruptionException>(() => ArchivedLogPieces.Decode(ArchivedLogPieces.Encode(bad), "x"));
    }
}
