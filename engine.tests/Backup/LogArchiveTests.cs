using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// Archiving retired logs (LogArchive, AutoBackupService.Archive): a hard link on the backup's
/// file system, a copy where linking is impossible, and a collection during an archive.
/// </summary>
public sealed class LogArchiveTests
{
    /// <summary>What the archiver's hook saw of one archive, just before its rename: the database's log still exists then.</summary>
    private sealed record Archived(string StoredPath, string Source, bool SameFile, byte[] SourceBytes);

    private sealed class Run(string root, string db)
    {
        public List<Archived> Archives { get; } = [];
        public IReadOnlyDictionary<string, long> Counters { get; set; } = new Dictionary<string, long>();
        public string Root => root;

        /// <summary>The archived log's final path in the backup directory.</summary>
        public string FinalPath(Archived a) => Path.Combine(root, a.StoredPath[..a.StoredPath.IndexOf(".tmp-", StringComparison.Ordinal)]);

        public void Record(string storedPath, Action<string>? alsoWhileWritten)
        {
            string temp = Path.Combine(root, storedPath);
            string name = Path.GetFileName(storedPath);
            string source = Path.Combine(db, name[..name.IndexOf(".tmp-", StringComparison.Ordinal)]);
            lock (Archives) Archives.Add(new Archived(storedPath, source, FileIdentity.Of(temp) == FileIdentity.Of(source), File.ReadAllBytes(source)));
            alsoWhileWritten?.Invoke(storedPath);
        }
    }

    private static DbOptions Options(Run run, DbOptions? baseOptions = null, IBackupStorage? storage = null, Action<string>? whileWritten = null)
    {
        var opts = baseOptions ?? new DbOptions { WriteBufferSize = 64 << 10 };
        opts.AutoBackup = storage is null
            ? new AutoBackupOptions { Directory = run.Root, Interval = TimeSpan.FromDays(1) }
            : new AutoBackupOptions { Storage = storage, Interval = TimeSpan.FromDays(1) };
        opts.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true, LogArchiveWritten = p => run.Record(p, whileWritten) };
        return opts;
    }

    /// <summary>
    /// A base backup, then writes over several logs; the state at the returned sequence (flushed:
    /// its logs are retired and archived), then more writes and a flush. The database is closed.
    /// </summary>
    private static (ulong Target, SortedDictionary<string, string> AtTarget) Fill(string path, DbOptions opts, Run run, Func<int, byte[]>? value = null)
    {
        value ??= i => B($"v{i}-" + new string('x', 60));
        ulong target;
        SortedDictionary<string, string> atTarget;
        using (var db = LatticeDb.Open(path, opts))
        {
            Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
            for (int i = 0; i < 3000; i++) db.Put(B($"k{i % 700:D4}"), value(i));
            target = db.LatestSequenceNumber;
            atTarget = ReadAll(db);
            db.Flush();
            for (int i = 3000; i < 5000; i++) db.Put(B($"k{i % 700:D4}"), value(i));
            db.Flush();
            var auto = db.AutoBackupService!;
            db.Dispose();
            run.Counters = auto.Counters;
        }
        Assert.NotEmpty(run.Archives);
        Assert.Equal(0, run.Counters["logs.archive-failed"]);
        Assert.Equal(run.Archives.Count, run.Counters["logs.archived"]);
        return (target, atTarget);
    }

    /// <summary>A retired log 000005.log in <paramref name="dir"/> holding one record, and its records' length.</summary>
    private static (string Path, long Length) OneRecordLog(TempDir dir)
    {
        string log = dir.Sub("000005.log");
        using (var writer = new LatticeKV.Wal.LogWriter(LatticeKV.Io.RealFileSystem.Instance.CreateWritable(log)))
            writer.AddRecord(B("one record"));
        return (log, new FileInfo(log).Length);
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Archive_RetiredLog_IsALinkOnTheSameFileSystemElseACopy_AndPointInTimeRestoreReplaysIt(bool linkable)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive");
        string path = dir.Sub("db");
        var run = new Run(dir.Sub("backups"), path);
        // Linking made impossible through the store's seam, as on another file system (EXDEV).
        var storage = linkable ? null : new FileSystemBackupStorage(run.Root) { HardLink = (_, _) => false };
        var (target, atTarget) = Fill(path, Options(run, storage: storage), run);

        // Linkable: the retired logs are linked, though one still open when it retires (the
        // current log, at close) is longer than its records and copied, which is always correct.
        int linked = run.Archives.Count(a => a.SameFile);
        Assert.Equal(linked, run.Counters["logs.archived-linked"]);
        if (linkable) Assert.True(linked > 0, $"none of {run.Archives.Count} archived logs was linked");
        else Assert.Equal(0, linked);
        foreach (var a in run.Archives)
        {
            Assert.Equal(a.SourceBytes, File.ReadAllBytes(run.FinalPath(a)));
            Assert.False(File.Exists(a.Source), $"the database kept its archived log {a.Source}");
        }
        Assert.Empty(Directory.GetFiles(run.Root, "*.tmp-*", SearchOption.AllDirectories));

        AssertRestoresToSequence(run.Root, dir.Sub("pitr"), target, atTarget, "restored through the archived logs");
    }

    [SkippableFact]
    public void Archive_DatabaseDeletesItsLog_TheLinkedArchiveStaysWholeAndReadable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive");
        string path = dir.Sub("db");
        var run = new Run(dir.Sub("backups"), path);
        var (target, atTarget) = Fill(path, Options(run), run);
        // Not one of the database's names left: the whole directory goes.
        Directory.Delete(path, recursive: true);

        foreach (var a in run.Archives.Where(a => a.SameFile))
        {
            string archived = run.FinalPath(a);
            Assert.Equal(a.SourceBytes, File.ReadAllBytes(archived));
            AssertWholeLog(archived);
        }
        Assert.Contains(run.Archives, a => a.SameFile);
        AssertRestoresToSequence(run.Root, dir.Sub("pitr"), target, atTarget, "restored after the database was deleted");
    }

    [SkippableFact]
    public void Archive_EncryptedDatabase_TheLinkedLogStaysSealed()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive");
        string path = dir.Sub("db");
        var run = new Run(dir.Sub("backups"), path);
        var key = EncryptionSupport.NewKey();
        var sentinels = Enumerable.Range(0, 50).Select(_ => EncryptionSupport.Sentinel()).ToList();
        var (target, _) = Fill(path, Options(run, EncryptionSupport.Options(key)), run, i => i < 3000 && i % 60 == 0 ? sentinels[i / 60] : B($"v{i}"));

        Assert.True(run.Counters["logs.archived-linked"] > 0, "no log was linked");
        Assert.True(EncryptionSupport.CountFound(run.Root, sentinels) == 0, "plaintext in the archive: " + EncryptionSupport.WhereFound(run.Root, sentinels));
        using var backups = BackupEngine.Open(run.Root, new BackupOptions { Encryption = EncryptionOptions.FromKey(key) });
        Assert.Equal(target, backups.RestoreToSequence(dir.Sub("pitr"), target));
        using var restored = LatticeDb.Open(dir.Sub("pitr"), EncryptionSupport.Options(key));
        Assert.Equal(sentinels[49], restored.Get(B($"k{2940 % 700:D4}")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Collect_WhileAnArchiveIsBeingWritten_SparesItsTemporary(bool explicitCollection)
    {
        using var dir = new TempDir("archive");
        string path = dir.Sub("db");
        var run = new Run(dir.Sub("backups"), path);
        var removed = new List<string>();
        int collections = 0;
        // The collection runs inside the archive, between its temporary being complete and its
        // rename; what it did is asserted afterwards (this runs on the database's purge thread).
        void Collect(string storedPath)
        {
            using var backups = BackupEngine.Open(run.Root);
            if (explicitCollection) backups.GarbageCollect();
            else LatticeKV.Backup.BackupCollector.Collect(new FileSystemBackupStorage(run.Root)); // the one CreateBackup and retention run
            if (!File.Exists(Path.Combine(run.Root, storedPath))) removed.Add(storedPath);
            collections++;
        }
        var (target, atTarget) = Fill(path, Options(run, whileWritten: Collect), run);

        Assert.True(removed.Count == 0, "the collection removed archives in progress: " + string.Join(", ", removed));
        Assert.Equal(run.Archives.Count, collections);
        foreach (var a in run.Archives) Assert.Equal(a.SourceBytes, File.ReadAllBytes(run.FinalPath(a)));
        AssertRestoresToSequence(run.Root, dir.Sub("pitr"), target, atTarget, "restored after collections during archiving");
    }

    /// <summary>
    /// A run killed after a log's linked archive was renamed into place, before the log was
    /// deleted: the reopened database links the same file again, and the archive must not keep that
    /// second temporary name beside the first.
    /// </summary>
    [SkippableFact]
    public void Archive_LogLinkedAgainAfterARestart_LeavesNoTemporary()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive");
        var (log, length) = OneRecordLog(dir);
        var storage = new FileSystemBackupStorage(dir.Sub("backups"));
        const string timeline = "0011223344556677";
        string archived = dir.Sub("backups/archive/" + timeline + "/000005.log");

        Assert.True(LatticeKV.Backup.LogArchive.Archive(storage, timeline, LatticeKV.Io.RealFileSystem.Instance, log, 5, length));
        Assert.True(LatticeKV.Backup.LogArchive.Archive(storage, timeline, LatticeKV.Io.RealFileSystem.Instance, log, 5, length));

        Assert.Equal(FileIdentity.Of(log), FileIdentity.Of(archived));
        Assert.Equal(["000005.log"], storage.ListFiles("archive/" + timeline));
        Assert.Equal(1, AssertWholeLog(archived));
    }

    /// <summary>
    /// A run killed right after it started a log leaves that log as reserved space with no record;
    /// the reopened database retires it with the logs it replayed, and there is nothing in it to
    /// replay: no archive is written for it (an empty one was, before).
    /// </summary>
    [Fact]
    public void Archive_LogWithNoRecordRetiredAtOpen_IsNotArchived()
    {
        using var dir = new TempDir("archive");
        string path = dir.Sub("db");
        var run = new Run(dir.Sub("backups"), path);
        var (target, atTarget) = Fill(path, Options(run), run);
        // What a kill right after a log roll leaves: the next log's reserved space, all zeros.
        long number = Directory.GetFiles(path).Max(f => LatticeKV.Io.FileNames.IsNumbered(LatticeKV.Io.FileNames.Parse(Path.GetFileName(f), out long n)) ? n : 0) + 1;
        string empty = Path.Combine(path, LatticeKV.Io.FileNames.LogName(number));
        File.WriteAllBytes(empty, new byte[64 << 10]);

        using (var db = LatticeDb.Open(path, Options(run)))
            Assert.True(db.AutoBackupService!.Counters["logs.archive-failed"] == 0, db.AutoBackupService.LastError);

        Assert.False(File.Exists(empty), "the reopened database kept the log it replayed");
        var archived = Directory.GetFiles(Path.Combine(run.Root, "archive"), "*.log", SearchOption.AllDirectories);
        Assert.DoesNotContain(archived, a => Path.GetFileName(a) == Path.GetFileName(empty));
        foreach (var a in archived) AssertWholeLog(a);
        AssertRestoresToSequence(run.Root, dir.Sub("pitr"), target, atTarget, "restored with the empty log retired unarchived");
    }

    /// <summary>
    /// An archive that fails (here at its rename: a directory stands where the archive goes) removes
    /// its temporary at once, linked or copied: the archive is retried under a new name, and the
    /// failed one's temporary would otherwise stay until the next open or an explicit collection.
    /// </summary>
    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Archive_RenameFails_LeavesNoTemporary(bool linkable)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "file identity is read with Linux's stat layout");
        using var dir = new TempDir("archive");
        var (log, length) = OneRecordLog(dir);
        // A reserved tail beyond the records makes the archive a copy of them instead of a link.
        if (!linkable) using (var f = File.OpenWrite(log)) f.SetLength(length + 4096);
        var storage = new FileSystemBackupStorage(dir.Sub("backups"));
        const string timeline = "0011223344556677";
        string folder = dir.Sub("backups/archive/" + timeline);
        Directory.CreateDirectory(Path.Combine(folder, "000005.log"));
        File.WriteAllBytes(Path.Combine(folder, "000005.log", "blocker"), [1]);
        bool? linked = null;
        void Written(string temp) => linked = FileIdentity.Of(dir.Sub("backups/" + temp)) == FileIdentity.Of(log);

        Assert.ThrowsAny<LatticeException>(() => LatticeKV.Backup.LogArchive.Archive(storage, timeline, LatticeKV.Io.RealFileSystem.Instance, log, 5, length, Written));

        Assert.Equal(linkable, linked);
        Assert.Empty(Directory.GetFiles(folder));
        Assert.True(File.Exists(log), "the failed archive took the database's log");
    }

    [Fact]
    public void GarbageCollect_TemporaryNoArchiverIsWriting_IsRemoved()
    {
        using var dir = new TempDir("archive");
        string root = dir.Sub("backups");
        string leftover = Path.Combine(root, "archive", "0011223344556677", "000007.log.tmp-0badf00d");
        Directory.CreateDirectory(Path.GetDirectoryName(leftover)!);
        File.WriteAllBytes(leftover, [1, 2, 3]);
        LatticeKV.Backup.BackupCollector.Collect(new FileSystemBackupStorage(root)); // the one CreateBackup and retention run
        Assert.True(File.Exists(leftover), "a backup's own collection removed a temporary a running database may be writing");
        using var backups = BackupEngine.Open(root);
        Assert.True(backups.GarbageCollect() >= 1);
        Assert.False(File.Exists(leftover), "a killed run's temporary survived an explicit collection");
    }
}
