using System.Globalization;
using System.Text.Json;
using LatticeKV.Io;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Cli;
using static LatticeKV.Tests.Backup.BackupSupport;
using static LatticeKV.Tests.Tool.BackupToolSupport;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// <c>lkv checkpoint</c> and <c>lkv backup create|list|verify|restore|purge|delete|gc</c> (and
/// <c>lkv restore</c>) run as processes: JSON read back and restored data compared with the
/// database's, and every documented exit code of the errors.
/// </summary>
public sealed class LkvBackupTests
{
    private static DbOptions Small() => new() { WriteBufferSize = 64 << 10 };

    /// <summary>Writes keys [from, to) tagged <paramref name="tag"/>, deletes every 7th of them, flushes when asked; returns the database's state after.</summary>
    private static SortedDictionary<string, string> Change(string path, int from, int to, string tag, bool flush = true)
    {
        // No compaction: one finishing in a later session would rewrite every table of this small
        // database, and the round trip's second backup would not be incremental by chance.
        using var db = LatticeDb.Open(path, new DbOptions
        {
            WriteBufferSize = 64 << 10, CreateIfMissing = true,
            Level0FileNumCompactionTrigger = 1000, Level0SlowdownWritesTrigger = 1000, Level0StopWritesTrigger = 1000,
        });
        for (int i = from; i < to; i++) db.Put(B($"k{i:D6}"), B($"{tag}-{i}-" + new string('v', 60)));
        for (int i = from; i < to; i += 7) db.Delete(B($"k{i:D6}"));
        if (flush) db.Flush();
        db.Put(B("unflushed-" + tag), B("in the log only"));
        return ReadAll(db);
    }

    private static ulong LastSequence(string path)
    {
        using var db = LatticeDb.OpenReadOnly(path);
        return db.LatestSequenceNumber;
    }

    [Fact]
    public void CreateListVerifyRestore_RoundTrip_JsonAgreesWithTheEngineAndDataIsExact()
    {
        using var dir = new TempDir("lkv-backup");
        string db = dir.Sub("db"), bk = dir.Sub("backups");
        var first = Change(db, 0, 3000, "a");
        var c1 = Json("backup", "create", db, bk, "--metadata", "before migration");
        var second = Change(db, 0, 300, "b");
        var c2 = Json("backup", "create", db, bk);

        Assert.Equal(1, c1.GetProperty("id").GetInt32());
        Assert.Equal(2, c2.GetProperty("id").GetInt32());
        Assert.Equal("before migration", c1.GetProperty("metadata").GetString());
        Assert.Equal(c1.GetProperty("size").GetInt64(), c1.GetProperty("new_bytes").GetInt64());
        Assert.True(c2.GetProperty("new_bytes").GetInt64() < c2.GetProperty("size").GetInt64(), "the second backup is incremental: " + c2);
        Assert.Equal(LastSequence(db), c2.GetProperty("sequence").GetUInt64());

        var list = Json("backup", "list", bk);
        Assert.Equal(Path.GetFullPath(bk), list.GetProperty("directory").GetString());
        Assert.Equal([1, 2], Ids(list.GetProperty("backups")));
        using (var engine = BackupEngine.Open(bk))
        {
            var infos = engine.ListBackups();
            foreach (var (json, info) in list.GetProperty("backups").EnumerateArray().Zip(infos))
            {
                Assert.Equal(info.Sequence, json.GetProperty("sequence").GetUInt64());
                Assert.Equal(info.Size, json.GetProperty("size").GetInt64());
                Assert.Equal(info.FileCount, json.GetProperty("file_count").GetInt32());
                Assert.Equal(info.DatabaseId, json.GetProperty("database_id").GetString());
                Assert.Equal(info.Timestamp, DateTimeOffset.Parse(json.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture));
            }
        }
        var text = Ok("backup", "list", bk).Stdout;
        Assert.Contains("before migration", text, StringComparison.Ordinal);

        var verify = Json("backup", "verify", bk);
        Assert.True(verify.GetProperty("healthy").GetBoolean());
        Assert.True(verify.GetProperty("checksums").GetBoolean());
        Assert.Equal([1, 2], Ids(verify.GetProperty("backups")));
        Assert.All(verify.GetProperty("backups").EnumerateArray(), b => Assert.True(b.GetProperty("ok").GetBoolean()));
        Assert.Contains("1 of 1 backups whole (presence and sizes only)", Ok("backup", "verify", bk, "1", "--no-checksums").Stdout, StringComparison.Ordinal);

        var r1 = Json("backup", "restore", bk, dir.Sub("r1"), "--id", "1");
        Assert.Equal(c1.GetProperty("sequence").GetUInt64(), r1.GetProperty("sequence").GetUInt64());
        Assert.Equal(1, r1.GetProperty("backup").GetProperty("id").GetInt32());
        AssertSame(first, ReadAll(dir.Sub("r1")), "backup 1 restored by lkv");
        Json("backup", "restore", bk, dir.Sub("r2"), "--latest");
        AssertSame(second, ReadAll(dir.Sub("r2")), "the latest backup restored by lkv");
        Ok("restore", bk, dir.Sub("r3"));
        AssertSame(second, ReadAll(dir.Sub("r3")), "lkv restore without a choice restores the latest");
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => d.Contains(".restore-tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public void CreateOfADatabaseWithItsIdentity_ChangesNothingInIt()
    {
        using var dir = new TempDir("lkv-backup");
        string db = dir.Sub("db");
        Change(db, 0, 2000, "a", flush: false);
        var before = DirectoryFingerprint.Of(db);
        Ok("backup", "create", db, dir.Sub("backups"));
        Ok("checkpoint", db, dir.Sub("cp"));
        Assert.Equal(before, DirectoryFingerprint.Of(db));
    }

    [Fact]
    public void DeletePurgeGc_RemoveOnlyWhatNoBackupNeeds()
    {
        using var dir = new TempDir("lkv-backup");
        string db = dir.Sub("db"), bk = dir.Sub("backups");
        var states = new Dictionary<int, SortedDictionary<string, string>>();
        for (int round = 1; round <= 4; round++)
        {
            states[round] = Change(db, round * 400, round * 400 + 1200, "r" + round);
            Assert.Equal(round, Json("backup", "create", db, bk).GetProperty("id").GetInt32());
        }
        var deleted = Json("backup", "delete", bk, "2");
        Assert.Equal([2], Ids(deleted.GetProperty("deleted")));
        Assert.Equal([1, 3, 4], Ids(deleted.GetProperty("kept")));
        var purged = Json("backup", "purge", bk, "--keep", "2");
        Assert.Equal([1], Ids(purged.GetProperty("deleted")));
        Assert.Equal([3, 4], Ids(purged.GetProperty("kept")));
        Assert.Empty(UnreferencedFiles(bk));
        foreach (int id in new[] { 3, 4 })
        {
            Ok("backup", "restore", bk, dir.Sub("r" + id), "--id", id.ToString(CultureInfo.InvariantCulture));
            AssertSame(states[id], ReadAll(dir.Sub("r" + id)), $"backup {id} after delete and purge");
        }

        // Leftovers of runs killed before their descriptor was committed.
        Directory.CreateDirectory(Path.Combine(bk, "private", "9"));
        File.WriteAllText(Path.Combine(bk, "private", "9", "MANIFEST-000001"), "partial");
        File.WriteAllText(Path.Combine(bk, "meta", "9.tmp"), "partial");
        File.WriteAllText(Path.Combine(bk, "shared", "x.sst.tmp-9"), "partial");
        Assert.Equal(3, Json("backup", "gc", bk).GetProperty("files_removed").GetInt32());
        Assert.Empty(UnreferencedFiles(bk));
        Assert.Contains("0 files removed", Ok("backup", "gc", bk).Stdout, StringComparison.Ordinal);

        // The period rules reach ApplyRetention: every backup is from today, so one a day keeps only the newest.
        var byDay = Json("backup", "purge", bk, "--daily", "7");
        Assert.Equal([3], Ids(byDay.GetProperty("deleted")));
        Assert.Equal([4], Ids(byDay.GetProperty("kept")));
        Ok("backup", "verify", bk, "4");
    }

    [Fact]
    public void Checkpoint_PrintsItsSequence_AndOpensWithTheSameData()
    {
        using var dir = new TempDir("lkv-checkpoint");
        string db = dir.Sub("db");
        var state = Change(db, 0, 2500, "a", flush: false);
        var json = Json("checkpoint", db, dir.Sub("cp"));
        Assert.Equal(LastSequence(db), json.GetProperty("sequence").GetUInt64());
        AssertSame(state, ReadAll(dir.Sub("cp")), "checkpoint");
        Assert.Matches(@"checkpoint of sequence \d+ in ", Ok("checkpoint", db, dir.Sub("cp2")).Stdout);
        Expect(ExitCodes.Usage, "checkpoint", db, dir.Sub("cp"));
        Expect(ExitCodes.DbNotFound, "checkpoint", dir.Sub("nothing"), dir.Sub("cp3"));
        Assert.False(Directory.Exists(dir.Sub("cp3")));
        using (LatticeDb.Open(db, Small()))
            Expect(ExitCodes.Locked, "checkpoint", db, dir.Sub("cp4"));
    }

    [Fact]
    public void RestoreToTimeAndSequence_GivesTheStateOfThatMoment()
    {
        using var dir = new TempDir("lkv-pitr");
        string db = dir.Sub("db"), bk = dir.Sub("backups");
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var opts = Small();
        opts.Clock = clock;
        opts.AutoBackup = new AutoBackupOptions { Directory = bk, Interval = TimeSpan.FromDays(1) };
        opts.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true };
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var byMinute = new List<(DateTimeOffset Time, ulong Sequence, SortedDictionary<string, string> State)>();
        using (var database = LatticeDb.Open(db, opts))
        {
            Assert.NotNull(database.RunAutoBackupNow(atOpen: true));
            for (int minute = 0; minute < 40; minute++)
            {
                clock.Advance(TimeSpan.FromMinutes(1));
                for (int i = 0; i < 50; i++)
                {
                    string k = $"m{(minute * 7 + i) % 400:D4}", v = $"{minute}-{i}-" + new string('y', 100);
                    database.Put(B(k), B(v));
                    model[k] = v;
                }
                byMinute.Add((clock.GetUtcNow(), database.LatestSequenceNumber, new(model, StringComparer.Ordinal)));
                if (minute == 20) Assert.NotNull(database.RunAutoBackupNow());
            }
            clock.Advance(TimeSpan.FromMinutes(1));
            Assert.NotNull(database.RunAutoBackupNow());
        }
        foreach (int minute in new[] { 5, 20, 33 })
        {
            var (time, sequence, state) = byMinute[minute];
            // Half a minute later, written as the issue writes it: no write happened between.
            string at = time.AddSeconds(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var json = Json("restore", bk, dir.Sub("t" + minute), "--time", at);
            Assert.Equal(sequence, json.GetProperty("sequence").GetUInt64());
            Assert.Equal(JsonValueKind.Null, json.GetProperty("backup").ValueKind);
            AssertSame(state, ReadAll(dir.Sub("t" + minute)), $"lkv restore --time {at}");
            Json("backup", "restore", bk, dir.Sub("s" + minute), "--sequence", sequence.ToString(CultureInfo.InvariantCulture));
            AssertSame(state, ReadAll(dir.Sub("s" + minute)), $"lkv backup restore --sequence {sequence}");
        }
        Assert.Equal("restored sequence " + byMinute[10].Sequence.ToString(CultureInfo.InvariantCulture),
            Ok("restore", bk, dir.Sub("text"), "--time", "2026-12-01T10:11:30Z").Stdout.Split(',')[0].Trim());
        Expect(ExitCodes.DbNotFound, "restore", bk, dir.Sub("before"), "--time", "2026-12-01T08:00Z");
        Expect(ExitCodes.DbNotFound, "backup", "restore", bk, dir.Sub("beyond"), "--sequence", (byMinute[^1].Sequence + 10).ToString(CultureInfo.InvariantCulture));
        Assert.False(Directory.Exists(dir.Sub("before")) || Directory.Exists(dir.Sub("beyond")));
    }

    [Fact]
    public void Errors_HaveTheirDocumentedExitCodes_AndChangeNothing()
    {
        using var dir = new TempDir("lkv-backup-errors");
        string db = dir.Sub("db"), bk = dir.Sub("backups"), missing = dir.Sub("missing");
        var first = Change(db, 0, 1500, "a");
        Ok("backup", "create", db, bk);
        Change(db, 0, 100, "b");
        Ok("backup", "create", db, bk);

        // No backup directory: not found, and none is made.
        foreach (var args in new[]
        {
            new[] { "backup", "list", missing }, ["backup", "verify", missing], ["restore", missing, dir.Sub("x")],
            ["backup", "purge", missing, "--keep", "1"], ["backup", "delete", missing, "1"], ["backup", "gc", missing],
        })
        {
            Assert.Contains("no backup directory", Expect(ExitCodes.DbNotFound, args).Stderr, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(missing));
        Assert.False(Directory.Exists(dir.Sub("x")));
        // A directory of something else is not taken for one: not found to read, refused to write.
        Assert.Contains("not a backup directory", Expect(ExitCodes.DbNotFound, "backup", "list", db).Stderr, StringComparison.Ordinal);
        string other = dir.Sub("other");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "notes.txt"), "mine");
        Assert.Contains("not a backup directory", Expect(ExitCodes.Usage, "backup", "create", db, other).Stderr, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(other).Select(Path.GetFileName));
        // Nor is one directory put inside the other.
        var dbBefore = DirectoryFingerprint.Of(db);
        Expect(ExitCodes.Usage, "backup", "create", db, Path.Combine(db, "backups"));
        Expect(ExitCodes.Usage, "checkpoint", db, Path.Combine(db, "copy"));
        Assert.Equal(dbBefore, DirectoryFingerprint.Of(db));
        Expect(ExitCodes.Usage, "restore", bk, Path.Combine(bk, "restored"));
        Assert.False(Directory.Exists(Path.Combine(bk, "restored")));
        Expect(ExitCodes.DbNotFound, "backup", "create", missing, dir.Sub("bk2"));
        Assert.False(Directory.Exists(dir.Sub("bk2")));

        // No such backup.
        Assert.Contains("it holds 1, 2", Expect(ExitCodes.DbNotFound, "backup", "verify", bk, "9").Stderr, StringComparison.Ordinal);
        Expect(ExitCodes.DbNotFound, "backup", "restore", bk, dir.Sub("x"), "--id", "9");
        Expect(ExitCodes.DbNotFound, "backup", "delete", bk, "9");
        Assert.False(Directory.Exists(dir.Sub("x")));

        // Bad usage.
        Expect(ExitCodes.Usage, "backup", "restore", bk, dir.Sub("x"), "--id", "1", "--latest");
        Expect(ExitCodes.Usage, "restore", bk, dir.Sub("x"), "--time", "yesterday");
        Expect(ExitCodes.Usage, "backup", "purge", bk);
        Expect(ExitCodes.Usage, "backup", "purge", bk, "--keep", "0");
        Expect(ExitCodes.Usage, "backup", "verify", bk, "one");
        Expect(ExitCodes.Usage, "backup", "list", bk, "--lock-timeout", "-1");
        Assert.Equal([1, 2], Ids(Json("backup", "list", bk).GetProperty("backups")));

        // A restore target that holds anything is refused and left as it was.
        string occupied = dir.Sub("occupied");
        Directory.CreateDirectory(occupied);
        File.WriteAllText(Path.Combine(occupied, "notes.txt"), "mine");
        Assert.Contains("not empty", Expect(ExitCodes.Usage, "backup", "restore", bk, occupied, "--id", "1").Stderr, StringComparison.Ordinal);
        Assert.Equal(["notes.txt"], Directory.EnumerateFileSystemEntries(occupied).Select(Path.GetFileName));
        // An empty one is filled.
        Directory.CreateDirectory(dir.Sub("empty"));
        Ok("backup", "restore", bk, dir.Sub("empty"), "--id", "1");
        AssertSame(first, ReadAll(dir.Sub("empty")), "restore into an empty directory");

        // The directory in use by another process: locked.
        using (RealFileSystem.Instance.LockFile(Path.Combine(bk, "LOCK")))
        {
            Assert.Contains("in use", Expect(ExitCodes.Locked, "backup", "list", bk, "--lock-timeout", "0").Stderr, StringComparison.Ordinal);
            Expect(ExitCodes.Locked, "backup", "gc", bk, "--lock-timeout", "0.05");
        }
        // The database in use by another process: locked, and no backup taken.
        using (LatticeDb.Open(db, Small()))
            Expect(ExitCodes.Locked, "backup", "create", db, bk);
        Assert.Equal([1, 2], Ids(Json("backup", "list", bk).GetProperty("backups")));
    }

    [Fact]
    public void DamagedBackup_VerifyFailsWithCorruption_RestoreLatestSkipsIt_RestoreOfItWritesNothing()
    {
        using var dir = new TempDir("lkv-backup-damage");
        string db = dir.Sub("db"), bk = dir.Sub("backups");
        var first = Change(db, 0, 1500, "a");
        Ok("backup", "create", db, bk);
        Change(db, 0, 100, "b", flush: false);
        Ok("backup", "create", db, bk);

        // A same-size change to a file only backup 2 has: found by checksums only.
        string manifest = Directory.GetFiles(Path.Combine(bk, "private", "2"), "MANIFEST-*").Single();
        var bytes = File.ReadAllBytes(manifest);
        bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(manifest, bytes);
        var verify = Lkv.Run("backup", "verify", bk, "--json");
        Assert.True(verify.ExitCode == ExitCodes.Corruption, verify.ToString());
        using (var doc = JsonDocument.Parse(verify.Stdout))
        {
            var root = doc.RootElement;
            Assert.False(root.GetProperty("healthy").GetBoolean());
            Assert.Equal(ExitCodes.Corruption, root.GetProperty("exit_code").GetInt32());
            var results = root.GetProperty("backups").EnumerateArray().ToDictionary(b => b.GetProperty("id").GetInt32());
            Assert.True(results[1].GetProperty("ok").GetBoolean());
            Assert.False(results[2].GetProperty("ok").GetBoolean());
            Assert.Contains(Path.GetFileName(manifest), results[2].GetProperty("problem").GetString(), StringComparison.Ordinal);
        }
        var text = Expect(ExitCodes.Corruption, "backup", "verify", bk, "2");
        Assert.Contains("backup 2: damaged", text.Stdout, StringComparison.Ordinal);
        Ok("backup", "verify", bk, "2", "--no-checksums");
        Ok("backup", "verify", bk, "1");

        Assert.Contains("backup verify", Expect(ExitCodes.Corruption, "backup", "restore", bk, dir.Sub("r2"), "--id", "2").Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Sub("r2")));
        Assert.DoesNotContain(Directory.EnumerateDirectories(dir.Path), d => d.Contains(".restore-tmp-", StringComparison.Ordinal));
        Assert.Equal(1, Json("restore", bk, dir.Sub("latest")).GetProperty("backup").GetProperty("id").GetInt32());
        AssertSame(first, ReadAll(dir.Sub("latest")), "restore --latest skips the damaged backup");

        // A shorter file: found without checksums too.
        File.WriteAllBytes(manifest, bytes[..^10]);
        Expect(ExitCodes.Corruption, "backup", "verify", bk, "2", "--no-checksums");
    }

    [Fact]
    public void Encrypted_BackupNeedsTheKey_HoldsNoPlaintext_WholeRestoreNeedsNone_SequenceRestoreDoes()
    {
        using var dir = new TempDir("lkv-backup-enc");
        var key = EncryptionSupport.NewKey();
        string keyFile = dir.Sub("key.bin"), db = dir.Sub("db"), bk = dir.Sub("backups");
        File.WriteAllBytes(keyFile, key);
        var secrets = new List<byte[]>();
        List<string> expected;
        ulong sequence;
        using (var database = LatticeDb.Open(db, EncryptionSupport.Options(key)))
        {
            for (int i = 0; i < 300; i++)
            {
                byte[] k = EncryptionSupport.Sentinel(), v = EncryptionSupport.Sentinel();
                secrets.Add(k);
                secrets.Add(v);
                database.Put(k, v);
                if (i == 150) database.Flush();
            }
            expected = TestDb.Contents(database, database.DefaultColumnFamily);
            sequence = database.LatestSequenceNumber;
        }
        List<string> Restored(string path)
        {
            using var restored = LatticeDb.Open(path, EncryptionSupport.Options(key));
            return TestDb.Contents(restored, restored.DefaultColumnFamily);
        }
        void NoSentinel(LkvResult r) => Assert.True(EncryptionSupport.CountFoundInText(r.Stdout + r.Stderr, secrets) == 0, r.ToString());

        NoSentinel(Expect(ExitCodes.EncryptionKey, "backup", "create", db, bk));
        Assert.False(Directory.Exists(bk));
        NoSentinel(Expect(ExitCodes.EncryptionKey, "checkpoint", db, dir.Sub("cp")));
        var created = Ok("backup", "create", db, bk, "--key-file", keyFile, "--json");
        NoSentinel(created);
        using (var doc = JsonDocument.Parse(created.Stdout)) Assert.True(doc.RootElement.GetProperty("encrypted").GetBoolean());
        Assert.True(EncryptionSupport.CountFound(bk, secrets) == 0, "plaintext in the backup: " + EncryptionSupport.WhereFound(bk, secrets));
        NoSentinel(Ok("backup", "list", bk));
        NoSentinel(Ok("backup", "verify", bk));

        // A whole backup is copied back as it is: no key needed, and it opens with the original's.
        NoSentinel(Ok("backup", "restore", bk, dir.Sub("whole"), "--id", "1"));
        Assert.Equal(expected, Restored(dir.Sub("whole")));
        // Restoring to a sequence reads the logs: the key is needed.
        string seq = sequence.ToString(CultureInfo.InvariantCulture);
        NoSentinel(Expect(ExitCodes.EncryptionKey, "backup", "restore", bk, dir.Sub("seq"), "--sequence", seq));
        Assert.False(Directory.Exists(dir.Sub("seq")));
        NoSentinel(Ok("backup", "restore", bk, dir.Sub("seq"), "--sequence", seq, "--key-file", keyFile));
        Assert.Equal(expected, Restored(dir.Sub("seq")));
        Ok("checkpoint", db, dir.Sub("cp"), "--key-file", keyFile);
        Assert.Equal(expected, Restored(dir.Sub("cp")));
    }
}
