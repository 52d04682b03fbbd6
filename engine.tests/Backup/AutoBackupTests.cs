using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

public sealed class AutoBackupTests
{
    private static DbOptions Options(string backups, Action<AutoBackupOptions>? configure = null)
    {
        var auto = new AutoBackupOptions { Directory = backups, Interval = TimeSpan.FromDays(1) };
        configure?.Invoke(auto);
        return new DbOptions { WriteBufferSize = 64 << 10, AutoBackup = auto, TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true } };
    }

    [Fact]
    public void BacksUpWhenDataChanged_NeverWhenNothingDid_AndHonoursMinChangedBytes()
    {
        using var dir = new TempDir("auto");
        string root = dir.Sub("backups");
        using var db = LatticeDb.Open(dir.Sub("db"), Options(root, a => a.MinChangedBytes = 10_000));
        Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
        Assert.Null(db.RunAutoBackupNow());           // nothing written
        db.Put(B("a"), B("small"));
        Assert.Null(db.RunAutoBackupNow());           // below MinChangedBytes
        for (int i = 0; i < 200; i++) db.Put(B($"k{i}"), B(new string('x', 100)));
        var second = db.RunAutoBackupNow();
        Assert.NotNull(second);
        Assert.Equal(db.LatestSequenceNumber, second.Sequence);
        Assert.Null(db.RunAutoBackupNow());
        using var backups = BackupEngine.Open(root);
        Assert.Equal(2, backups.ListBackups().Count);
        Assert.Equal("auto", backups.ListBackups()[0].Metadata);
    }

    [Fact]
    public void ARestartFindsTheLastBackup_AndDoesNotBackUpAnUnchangedDatabaseAgain()
    {
        using var dir = new TempDir("auto");
        string root = dir.Sub("backups");
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(root)))
        {
            db.Put(B("k"), B("v"));
            Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
        }
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(root)))
        {
            Assert.Null(db.RunAutoBackupNow(atOpen: true));
            db.Put(B("k2"), B("v2"));
            Assert.NotNull(db.RunAutoBackupNow());
        }
        using var backups = BackupEngine.Open(root);
        Assert.Equal(2, backups.ListBackups().Count);
    }

    [Fact]
    public void RetentionIsApplied_AndArchivedLogsOlderThanEveryBackupAreCollected()
    {
        using var dir = new TempDir("auto");
        string root = dir.Sub("backups");
        using (var db = LatticeDb.Open(dir.Sub("db"), Options(root, a => a.Retention = BackupRetention.Last(2))))
        {
            for (int round = 0; round < 5; round++)
            {
                for (int i = 0; i < 3000; i++) db.Put(B($"k{i:D5}"), B($"{round}-" + new string('r', 60)));
                Assert.True(db.RunAutoBackupNow(atOpen: round == 0) is not null, "no backup in round " + round + ": " + db.AutoBackupService!.LastError);
            }
        }
        using var backups = BackupEngine.Open(root);
        var kept = backups.ListBackups();
        Assert.Equal([4, 5], kept.Select(b => b.Id));
        // Logs older than the oldest kept backup's first log can never be replayed: they are gone.
        var archived = Directory.GetFiles(Path.Combine(root, "archive"), "*.log", SearchOption.AllDirectories)
            .Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        // The backup's logs are pieces in shared/: its descriptor names them.
        long oldestFirstLog = LatticeKV.Backup.LogArchive.FirstLog(LatticeKV.Backup.BackupCatalog.Read(new FileSystemBackupStorage(root), 4));
        Assert.NotEqual(long.MaxValue, oldestFirstLog);
        Assert.All(archived, n => Assert.True(n >= oldestFirstLog, $"archived log {n} precedes backup 4's first log {oldestFirstLog}"));
        Assert.Equal(0, backups.GarbageCollect());
        backups.RestoreToSequence(dir.Sub("r"), kept[^1].Sequence);
        Assert.Equal(3000, ReadAll(dir.Sub("r")).Count);
    }

    [Fact]
    public void TheBackgroundThreadBacksUpByItself()
    {
        using var dir = new TempDir("auto");
        string root = dir.Sub("backups");
        var opts = new DbOptions { AutoBackup = new AutoBackupOptions { Directory = root, Interval = TimeSpan.FromMilliseconds(50) } };
        using var db = LatticeDb.Open(dir.Sub("db"), opts);
        PutAndWaitForTheBackgroundBackup(db);
        Assert.Contains("lattice.backup.last-id", db.GetProperty("lattice.backup.stats") ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void Open_ThreadNiceOutOfRange_Throws(int nice)
    {
        using var dir = new TempDir("auto");
        var opts = new DbOptions { AutoBackup = new AutoBackupOptions { Directory = dir.Sub("backups"), ThreadNice = nice } };
        var ex = Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Sub("db"), opts));
        Assert.Contains("ThreadNice", ex.Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData(13, 0, 13)]     // its own nice, whatever the compaction threads'
    [InlineData(null, 7, 7)]    // by default the compaction threads'
    public void TheBackgroundThread_RunsAtItsNice(int? threadNice, int compactionNice, int expected)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "thread nice values are read from /proc (Linux)");
        using var dir = new TempDir("auto");
        // The thread reads its own nice value as it starts: other databases' backup threads (tests run in parallel) do not count.
        var threads = new BackgroundThreadNices();
        var opts = new DbOptions
        {
            CompactionThreadNice = compactionNice,
            AutoBackup = new AutoBackupOptions { Directory = dir.Sub("backups"), Interval = TimeSpan.FromMilliseconds(50), ThreadNice = threadNice },
            TestHooks = new LatticeKV.Db.TestHooks { BackgroundThreadStarted = threads.Record },
        };
        using var db = LatticeDb.Open(dir.Sub("db"), opts);
        Assert.Equal([expected], threads.Take("lattice-backup", 1, TimeSpan.FromSeconds(30)));
    }

    // Writes a key and waits until the background thread has backed it up. Waits for a condition
    // (bounded), not for a time: the thread decides every interval.
    private static void PutAndWaitForTheBackgroundBackup(LatticeDb db)
    {
        db.Put(B("k"), B("v"));
        ulong wanted = db.LatestSequenceNumber;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (db.AutoBackupService!.LastBackup is not { } last || last.Sequence < wanted)
        {
            Assert.True(DateTime.UtcNow < deadline, "no automatic backup within 30 s; last error: " + db.AutoBackupService.LastError);
            Thread.Yield();
        }
    }

}
