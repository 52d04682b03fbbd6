using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

public sealed class BackupEngineTests
{
    [Fact]
    public void Backup_RestoresExactlyTheStateAtItsSequence_AndIsIncremental()
    {
        using var dir = new TempDir("bk");
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        SortedDictionary<string, string> atFirst, atSecond;
        BackupInfo first, second;
        int tablesAfterFirst, tablesAfterSecond;
        using (var db = LatticeDb.Open(dir.Sub("db"), Small()))
        {
            Fill(db, 0, 20000, "a");
            db.CompactRange();
            first = backups.CreateBackup(db, "first");
            tablesAfterFirst = Directory.GetFiles(Path.Combine(dir.Sub("backups"), "shared"), "*.sst").Length;
            atFirst = ReadAll(db);
            Fill(db, 0, 200, "b"); // 1% of the keys change
            second = backups.CreateBackup(db);
            tablesAfterSecond = Directory.GetFiles(Path.Combine(dir.Sub("backups"), "shared"), "*.sst").Length;
            atSecond = ReadAll(db);
            Fill(db, 500, 600, "after");
        }
        Assert.Equal("first", first.Metadata);
        Assert.Equal(first.Size, first.NewBytes);
        // Nothing was flushed between the two: every table is shared, only the log and small files are new.
        Assert.Equal(first.FileCount, second.FileCount);
        Assert.Equal(tablesAfterFirst, tablesAfterSecond);
        Assert.True(second.NewBytes < first.Size / 5, $"incremental backup added {second.NewBytes} of {second.Size} bytes");
        Assert.Equal([first.Id, second.Id], backups.ListBackups().Select(b => b.Id));
        backups.VerifyBackup(first.Id);
        backups.VerifyBackup(second.Id, checksums: false);

        backups.RestoreBackup(first.Id, dir.Sub("r1"));
        backups.RestoreBackup(second.Id, dir.Sub("r2"));
        AssertSame(atFirst, ReadAll(dir.Sub("r1")), "backup 1");
        AssertSame(atSecond, ReadAll(dir.Sub("r2")), "backup 2");
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => d.Contains(".restore-tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public void DivergentHistory_EveryBackupRestoresItsOwnData()
    {
        // RocksDB's trap: a restored copy reuses file numbers for different tables; a backup engine
        // that names tables by number alone then shares the wrong file between the two histories.
        using var dir = new TempDir("bk");
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        var expected = new Dictionary<int, SortedDictionary<string, string>>();
        int firstId;
        using (var db = LatticeDb.Open(dir.Sub("db"), Small()))
        {
            Fill(db, 0, 3000, "original");
            db.Flush();
            var b = backups.CreateBackup(db);
            firstId = b.Id;
            expected[b.Id] = ReadAll(db);
            Fill(db, 0, 3000, "original-later");
            db.Flush();
            b = backups.CreateBackup(db);
            expected[b.Id] = ReadAll(db);
        }
        backups.RestoreBackup(firstId, dir.Sub("restored"));
        using (var db = LatticeDb.Open(dir.Sub("restored"), Small()))
        {
            Fill(db, 0, 3000, "diverged");
            db.Flush();
            var b = backups.CreateBackup(db);
            expected[b.Id] = ReadAll(db);
        }
        foreach (var (id, state) in expected)
        {
            backups.VerifyBackup(id);
            string target = dir.Sub("check-" + id);
            backups.RestoreBackup(id, target);
            AssertSame(state, ReadAll(target), $"backup {id}");
        }
    }

    [Fact]
    public void Restore_IntoANonEmptyDirectory_IsRefusedAndTouchesNothing()
    {
        using var dir = new TempDir("bk");
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        using (var db = LatticeDb.Open(dir.Sub("db")))
        {
            db.Put(B("k"), B("v"));
            backups.CreateBackup(db);
        }
        Directory.CreateDirectory(dir.Sub("busy"));
        File.WriteAllText(Path.Combine(dir.Sub("busy"), "mine.txt"), "keep");
        Assert.Throws<InvalidArgumentException>(() => backups.RestoreBackup(1, dir.Sub("busy")));
        Assert.Equal("keep", File.ReadAllText(Path.Combine(dir.Sub("busy"), "mine.txt")));
        Assert.Single(Directory.EnumerateFileSystemEntries(dir.Sub("busy")));
        Assert.Throws<InvalidArgumentException>(() => backups.RestoreBackup(42, dir.Sub("other")));
        // An existing empty directory is a valid target.
        Directory.CreateDirectory(dir.Sub("empty"));
        backups.RestoreBackup(1, dir.Sub("empty"));
        Assert.Equal("v", ReadAll(dir.Sub("empty"))["k"]);
    }

    [Fact]
    public void Verify_FindsDamage_AndRestoreLatestSkipsDamagedBackups()
    {
        using var dir = new TempDir("bk");
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        SortedDictionary<string, string> atFirst;
        using (var db = LatticeDb.Open(dir.Sub("db"), Small()))
        {
            Fill(db, 0, 2000, "one");
            db.Flush();
            backups.CreateBackup(db);
            atFirst = ReadAll(db);
            Fill(db, 0, 10, "two");
            backups.CreateBackup(db);
        }
        // Damage a file only the second backup has: its private MANIFEST copy.
        string manifest = Directory.GetFiles(Path.Combine(dir.Sub("backups"), "private", "2"), "MANIFEST-*").Single();
        var bytes = File.ReadAllBytes(manifest);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(manifest, bytes);
        backups.VerifyBackup(2, checksums: false); // sizes are intact
        var ex = Assert.Throws<CorruptionException>(() => backups.VerifyBackup(2));
        Assert.Contains("MANIFEST", ex.Message, StringComparison.Ordinal);
        Assert.Throws<CorruptionException>(() => backups.RestoreBackup(2, dir.Sub("r2")));
        Assert.False(Directory.Exists(dir.Sub("r2")));
        var restored = backups.RestoreLatestBackup(dir.Sub("latest"));
        Assert.Equal(1, restored.Id);
        AssertSame(atFirst, ReadAll(dir.Sub("latest")), "latest verifying backup");
    }

    [Fact]
    public void RestoreLatestAndRetention_ClockSteppedBackBetweenBackups_TakeTheBackupMadeLast()
    {
        using var dir = new TempDir("bk");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var opts = Small();
        opts.Clock = clock;
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        SortedDictionary<string, string> last;
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            Fill(db, 0, 100, "one");
            backups.CreateBackup(db);
            clock.Advance(TimeSpan.FromMinutes(-10)); // the wall clock stepped back (NTP) between the two
            Fill(db, 0, 100, "two");
            backups.CreateBackup(db);
            last = ReadAll(db);
        }
        Assert.Equal(2, backups.RestoreLatestBackup(dir.Sub("latest")).Id);
        AssertSame(last, ReadAll(dir.Sub("latest")), "the backup made last");
        // "The newest backup is always kept": by timestamp, backup 1 looked newer and backup 2 was deleted.
        Assert.Equal([1], backups.PurgeOldBackups(1));
        Assert.Equal([2], backups.ListBackups().Select(b => b.Id));
    }

    [Fact]
    public void DeleteAndPurge_RemoveOnlyWhatNoBackupNeeds_AndGarbageCollectCleansInterruptedRuns()
    {
        using var dir = new TempDir("bk");
        string root = dir.Sub("backups");
        using var backups = BackupEngine.Open(root);
        var states = new Dictionary<int, SortedDictionary<string, string>>();
        using (var db = LatticeDb.Open(dir.Sub("db"), Small()))
        {
            for (int round = 0; round < 4; round++)
            {
                Fill(db, round * 500, round * 500 + 1500, "r" + round);
                db.Flush();
                var b = backups.CreateBackup(db);
                states[b.Id] = ReadAll(db);
            }
        }
        backups.DeleteBackup(2);
        Assert.Equal([1, 3, 4], backups.ListBackups().Select(b => b.Id));
        Assert.Equal([1], backups.PurgeOldBackups(2));
        Assert.Equal([3, 4], backups.ListBackups().Select(b => b.Id));
        foreach (int id in new[] { 3, 4 })
        {
            backups.VerifyBackup(id);
            backups.RestoreBackup(id, dir.Sub("r" + id));
            AssertSame(states[id], ReadAll(dir.Sub("r" + id)), $"backup {id} after purge");
        }
        // Leftovers of a run killed before its descriptor was committed.
        Directory.CreateDirectory(Path.Combine(root, "private", "9"));
        File.WriteAllText(Path.Combine(root, "private", "9", "MANIFEST-000001"), "partial");
        File.WriteAllText(Path.Combine(root, "meta", "9.tmp"), "partial");
        File.WriteAllText(Path.Combine(root, "shared", "x.sst.tmp-9"), "partial");
        int sharedBefore = Directory.GetFiles(Path.Combine(root, "shared")).Length;
        Assert.Equal(3, backups.GarbageCollect());
        Assert.False(Directory.Exists(Path.Combine(root, "private", "9")));
        Assert.Equal(sharedBefore - 1, Directory.GetFiles(Path.Combine(root, "shared")).Length);
        Assert.Equal(0, backups.GarbageCollect());
        // Every shared table left is one a backup lists.
        backups.VerifyBackup(3);
        backups.VerifyBackup(4);
    }

    [Fact]
    public void RestoreToSequence_GivesTheStateAfterEveryWriteGroup_BetweenAndBeyondBackups()
    {
        using var dir = new TempDir("bk");
        string root = dir.Sub("backups");
        var opts = Small();
        opts.AutoBackup = new AutoBackupOptions { Directory = root, Interval = TimeSpan.FromDays(1) };
        opts.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var states = new List<(ulong Seq, SortedDictionary<string, string> State)>();
        var rng = new Random(TestSeed.Get(1801));
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            Assert.NotNull(db.RunAutoBackupNow(atOpen: true)); // the base
            states.Add((db.LatestSequenceNumber, new(model, StringComparer.Ordinal)));
            for (int op = 0; op < 3000; op++)
            {
                string k = $"k{rng.Next(400):D4}";
                if (rng.Next(10) == 0) { db.Delete(B(k)); model.Remove(k); }
                else { string v = $"v{op}-" + new string('x', rng.Next(200)); db.Put(B(k), B(v)); model[k] = v; }
                if (op % 97 == 0) states.Add((db.LatestSequenceNumber, new(model, StringComparer.Ordinal)));
                if (op == 1500) Assert.NotNull(db.RunAutoBackupNow());
            }
            Assert.NotNull(db.RunAutoBackupNow());
            states.Add((db.LatestSequenceNumber, new(model, StringComparer.Ordinal)));
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(root, "archive"), "*.log", SearchOption.AllDirectories));
        using var backups = BackupEngine.Open(root);
        int n = 0;
        foreach (var (seq, state) in states.Where((_, i) => i % 4 == 0 || i == states.Count - 1))
        {
            string target = dir.Sub("seq-" + n++);
            Assert.Equal(seq, backups.RestoreToSequence(target, seq));
            AssertSame(state, ReadAll(target), $"sequence {seq}");
        }
        ulong last = states[^1].Seq;
        var ex = Assert.Throws<InvalidArgumentException>(() => backups.RestoreToSequence(dir.Sub("beyond"), last + 10));
        Assert.Contains(last.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("beyond")));
    }

    [Fact]
    public void RestoreToPointInTime_UsesCommitTimesOfArchivedLogs()
    {
        using var dir = new TempDir("bk");
        string root = dir.Sub("backups");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var opts = Small();
        opts.Clock = clock;
        opts.AutoBackup = new AutoBackupOptions { Directory = root, Interval = TimeSpan.FromDays(1) };
        opts.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true };
        var states = new List<(DateTimeOffset Time, SortedDictionary<string, string> State)>();
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
            for (int minute = 0; minute < 60; minute++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                for (int i = 0; i < 60; i++)
                {
                    string k = $"m{(minute * 7 + i) % 500:D4}", v = $"{minute}-{i}-" + new string('y', 100);
                    db.Put(B(k), B(v));
                    model[k] = v;
                }
                states.Add((clock.GetUtcNow(), new(model, StringComparer.Ordinal)));
                if (minute == 30) Assert.NotNull(db.RunAutoBackupNow());
            }
            clock.Advance(TimeSpan.FromMinutes(1));
            Assert.NotNull(db.RunAutoBackupNow());
        }
        using var backups = BackupEngine.Open(root);
        foreach (int minute in new[] { 0, 10, 29, 30, 31, 45, 59 })
        {
            var (time, state) = states[minute];
            string target = dir.Sub("t" + minute);
            // Half a minute later: no write happened between, the state is the same.
            backups.RestoreToPointInTime(target, time.AddSeconds(30));
            AssertSame(state, ReadAll(target), $"minute {minute}");
        }
        Assert.Throws<InvalidArgumentException>(() => backups.RestoreToPointInTime(dir.Sub("before"), states[0].Time.AddHours(-2)));
    }
}
