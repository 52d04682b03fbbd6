using LatticeKV.Monitoring;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Monitoring;

/// <summary>The storage history and live statistics of an open database (LatticeDb.Monitoring.cs), driven by a fake clock.</summary>
public class LatticeDbMonitoringTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static DbOptions Options(TimerClock clock, TimeSpan? sample = null, TimeSpan? live = null) => new()
    {
        Clock = clock,
        StorageSampleInterval = sample ?? TimeSpan.FromMinutes(10),
        LiveStatsInterval = live,
    };

    private static string HistoryPath(string db) => Path.Combine(db, StorageHistoryFile.FileName);

    [Fact]
    public void Open_FakeClock_SamplesAtOpenAtEachIntervalAndAtClose()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using (var db = LatticeDb.Open(dir.Path, Options(clock)))
        {
            Assert.Single(db.GetStorageHistory());
            for (int i = 0; i < 200; i++) db.Put(TestDb.B($"key{i:D4}"), new byte[500]);
            db.Flush();
            clock.Advance(TimeSpan.FromMinutes(10));
            var history = db.GetStorageHistory();
            Assert.Equal(2, history.Count);
            Assert.Equal(0, history[0].TableBytes);
            var level = Assert.Single(history[1].Levels);
            Assert.Equal(("default", 1), (level.ColumnFamily, level.Files));
            Assert.True(level.Bytes > 0);
            Assert.True(history[1].OtherBytes > 0); // MANIFEST, OPTIONS, IDENTITY
            Assert.NotNull(history[1].DiskFreeBytes);
            Assert.Null(history[1].BackupBytes);
            clock.Advance(TimeSpan.FromMinutes(25));
            Assert.Equal(4, db.GetStorageHistory().Count);
        }
        var onDisk = StorageHistory.Read(dir.Path);
        Assert.Equal([T0, T0.AddMinutes(10), T0.AddMinutes(20), T0.AddMinutes(30), T0.AddMinutes(35)], onDisk.Select(s => s.Time));
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public void Reopen_KeepsTheHistoryAndAddsToIt()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using (LatticeDb.Open(dir.Path, Options(clock))) clock.Advance(TimeSpan.FromMinutes(10));
        clock.Advance(TimeSpan.FromHours(1));
        using (var db = LatticeDb.Open(dir.Path, Options(clock)))
            Assert.Equal(4, db.GetStorageHistory().Count);
        Assert.Equal(5, StorageHistory.Read(dir.Path).Count);
    }

    [Fact]
    public void OpenReadOnly_NeverWritesTheHistory()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using (LatticeDb.Open(dir.Path, Options(clock))) { }
        var before = File.ReadAllBytes(HistoryPath(dir.Path));
        using (var ro = LatticeDb.OpenReadOnly(dir.Path, Options(clock, live: TimeSpan.FromSeconds(1))))
        {
            clock.Advance(TimeSpan.FromHours(2));
            Assert.Equal(2, ro.GetStorageHistory().Count); // what the directory holds
        }
        Assert.Equal(before, File.ReadAllBytes(HistoryPath(dir.Path)));
        Assert.False(File.Exists(Path.Combine(dir.Path, LiveStatsFile.FileName)));
    }

    [Fact]
    public void Open_SamplingOff_WritesNoHistory()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using (var db = LatticeDb.Open(dir.Path, Options(clock, sample: TimeSpan.Zero)))
        {
            clock.Advance(TimeSpan.FromHours(1));
            Assert.Empty(db.GetStorageHistory());
            Assert.Null(db.GetStorageGrowth());
        }
        Assert.False(File.Exists(HistoryPath(dir.Path)));
    }

    [Fact]
    public void Open_DamagedHistory_OpensAndStartsAfresh()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using (LatticeDb.Open(dir.Path, Options(clock))) clock.Advance(TimeSpan.FromMinutes(30));
        var bytes = File.ReadAllBytes(HistoryPath(dir.Path));
        bytes[12] ^= 0x10;
        File.WriteAllBytes(HistoryPath(dir.Path), bytes);
        Assert.Throws<CorruptionException>(() => StorageHistory.Read(dir.Path));
        using (var db = LatticeDb.Open(dir.Path, Options(clock)))
            Assert.Single(db.GetStorageHistory());
        Assert.Equal(2, StorageHistory.Read(dir.Path).Count);
    }

    [Fact]
    public void GetStorageGrowth_GrowingDatabase_IsPositiveWithAProjection()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        using var db = LatticeDb.Open(dir.Path, Options(clock));
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 100; i++) db.Put(TestDb.B($"r{round}k{i:D4}"), new byte[1000]);
            db.Flush();
            clock.Advance(TimeSpan.FromMinutes(10));
        }
        var growth = db.GetStorageGrowth()!;
        Assert.True(growth.BytesPerDay > 0, $"growth {growth.BytesPerDay}");
        Assert.NotNull(growth.ProjectedDiskFull);
        Assert.True(growth.ProjectedDiskFull > clock.GetUtcNow());
        Assert.Equal(growth.BytesPerDay, db.GrowthRateProvider()!.Value);
    }

    [Fact]
    public void AutoBackup_SampleCountsTheBackupDirectory()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        var options = Options(clock);
        options.AutoBackup = new AutoBackupOptions { Directory = dir.Sub("backups"), BackupAtOpen = false };
        options.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true };
        using var db = LatticeDb.Open(dir.Sub("db"), options);
        db.Put(TestDb.B("k"), new byte[5000]);
        db.RunAutoBackupNow();
        db.SampleStorageNow();
        Assert.True(db.GetStorageHistory()[^1].BackupBytes > 5000);
    }

    [Fact]
    public void StorageFiles_SurvivePurgeAndRepairAndStayOutOfCheckpointsAndBackups()
    {
        using var dir = new TempDir();
        var clock = new TimerClock(T0);
        string path = dir.Sub("db");
        using (var db = LatticeDb.Open(path, Options(clock, live: TimeSpan.FromSeconds(1))))
        {
            for (int i = 0; i < 50; i++) db.Put(TestDb.B($"k{i}"), new byte[100]);
            db.Flush();
            db.CompactRange(); // obsolete-file deletion runs
            clock.Advance(TimeSpan.FromMinutes(10));
            Assert.True(File.Exists(Path.Combine(path, LiveStatsFile.FileName)));
            db.CreateCheckpoint(dir.Sub("checkpoint"));
            using var backups = BackupEngine.Open(dir.Sub("backups"));
            backups.CreateBackup(db);
        }
        Assert.Equal(3, StorageHistory.Read(path).Count);
        Assert.False(File.Exists(Path.Combine(path, LiveStatsFile.FileName))); // removed at close
        // A checkpoint and a backup describe the data, not this directory's disk: neither carries the history.
        Assert.False(File.Exists(HistoryPath(dir.Sub("checkpoint"))));
        Assert.DoesNotContain(Directory.EnumerateFiles(dir.Sub("backups"), "*", SearchOption.AllDirectories),
            f => Path.GetFileName(f).StartsWith(StorageHistoryFile.FileName, StringComparison.Ordinal));
        // Repair rebuilds the MANIFEST and moves the old files to lost/, but leaves the history where it was.
        LatticeDb.Repair(path);
        Assert.Equal(3, StorageHistory.Read(path).Count);
        Assert.False(File.Exists(Path.Combine(path, "lost", StorageHistoryFile.FileName)));
    }
}
