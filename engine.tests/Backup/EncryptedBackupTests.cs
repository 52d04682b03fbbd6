using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Backup.BackupSupport;

namespace LatticeKV.Tests.Backup;

public sealed class EncryptedBackupTests
{
    [Fact]
    public void EncryptedBackups_HoldNoPlaintext_AndRestoreOnlyWithTheKey()
    {
        using var dir = new TempDir("encbk");
        var key = EncryptionSupport.NewKey();
        var sentinels = Enumerable.Range(0, 40).Select(_ => EncryptionSupport.Sentinel()).ToList();
        var opts = EncryptionSupport.Options(key);
        opts.AutoBackup = new AutoBackupOptions { Directory = dir.Sub("backups"), Interval = TimeSpan.FromDays(1) };
        opts.TestHooks = new LatticeKV.Db.TestHooks { ManualAutoBackup = true };
        SortedDictionary<string, string> expected;
        ulong midSequence;
        SortedDictionary<string, string> atMid;
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            Assert.NotNull(db.RunAutoBackupNow(atOpen: true));
            for (int i = 0; i < sentinels.Count; i++)
            {
                db.Put(B($"secret{i:D3}"), sentinels[i]);
                for (int j = 0; j < 200; j++) db.Put(B($"fill{i:D3}-{j:D3}"), B(new string('f', 100)));
            }
            midSequence = db.LatestSequenceNumber;
            atMid = ReadAllHex(db);
            db.Flush();
            for (int i = 0; i < 2000; i++) db.Put(B($"later{i:D5}"), B(new string('l', 100)));
            Assert.NotNull(db.RunAutoBackupNow());
            expected = ReadAllHex(db);
        }
        Assert.True(Directory.GetFiles(Path.Combine(dir.Sub("backups"), "archive"), "*.log", SearchOption.AllDirectories).Length > 0, "logs were archived");
        Assert.True(EncryptionSupport.CountFound(dir.Sub("backups"), sentinels) == 0,
            "plaintext in the backup directory: " + EncryptionSupport.WhereFound(dir.Sub("backups"), sentinels));

        using var backups = BackupEngine.Open(dir.Sub("backups"));
        var latest = backups.ListBackups()[^1];
        Assert.True(latest.Encrypted);
        backups.VerifyBackup(latest.Id);
        backups.RestoreBackup(latest.Id, dir.Sub("restored"));
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("restored"), sentinels));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Sub("restored"), new DbOptions()));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Sub("restored"), EncryptionSupport.Options(EncryptionSupport.NewKey())));
        using (var db = LatticeDb.Open(dir.Sub("restored"), EncryptionSupport.Options(key))) AssertSame(expected, ReadAllHex(db), "restored encrypted backup");

        // Point in time reads the sealed logs: it needs the key, and restores exactly the state then.
        Assert.Throws<EncryptionKeyException>(() => backups.RestoreToSequence(dir.Sub("pitr-nokey"), midSequence));
        Assert.False(Directory.Exists(dir.Sub("pitr-nokey")));
        using (var wrong = BackupEngine.Open(dir.Sub("backups"), new BackupOptions { Encryption = EncryptionOptions.FromKey(EncryptionSupport.NewKey()) }))
            Assert.Throws<EncryptionKeyException>(() => wrong.RestoreToSequence(dir.Sub("pitr-wrongkey"), midSequence));
        Assert.False(Directory.Exists(dir.Sub("pitr-wrongkey")));
        Assert.Empty(Directory.EnumerateDirectories(dir.Path, "pitr-wrongkey.restore-tmp-*"));
        using var keyed = BackupEngine.Open(dir.Sub("backups"), new BackupOptions { Encryption = EncryptionOptions.FromKey(key) });
        Assert.Equal(midSequence, keyed.RestoreToSequence(dir.Sub("pitr"), midSequence));
        using (var db = LatticeDb.Open(dir.Sub("pitr"), EncryptionSupport.Options(key))) AssertSame(atMid, ReadAllHex(db), "encrypted point-in-time restore");
    }

    [Fact]
    public void CheckpointOfAnEncryptedDatabase_IsCiphertext_AndOpensWithTheKey()
    {
        using var dir = new TempDir("encbk");
        var key = EncryptionSupport.NewKey();
        var sentinels = Enumerable.Range(0, 10).Select(_ => EncryptionSupport.Sentinel()).ToList();
        using (var db = LatticeDb.Open(dir.Sub("db"), EncryptionSupport.Options(key)))
        {
            for (int i = 0; i < sentinels.Count; i++) db.Put(B($"s{i}"), sentinels[i]);
            db.Flush();
            db.Put(B("log-only"), sentinels[0]);
            db.CreateCheckpoint(dir.Sub("cp"));
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("cp"), sentinels));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Sub("cp"), new DbOptions()));
        using var copy = LatticeDb.Open(dir.Sub("cp"), EncryptionSupport.Options(key));
        for (int i = 0; i < sentinels.Count; i++) Assert.Equal(sentinels[i], copy.Get(B($"s{i}")));
        Assert.Equal(sentinels[0], copy.Get(B("log-only")));
    }

    [Fact]
    public void ShreddingAFamily_MakesItsOlderBackupsUnreadable_OtherFamiliesStayReadable()
    {
        using var dir = new TempDir("encbk");
        var key = EncryptionSupport.NewKey();
        var opts = EncryptionSupport.Options(key, "wallet");
        using var backups = BackupEngine.Open(dir.Sub("backups"));
        var secret = EncryptionSupport.Sentinel();
        int before;
        using (var db = LatticeDb.Open(dir.Sub("db"), opts))
        {
            var wallet = db.CreateColumnFamily("wallet", opts.ColumnFamilyOptions["wallet"]);
            db.Put(wallet, B("seed"), secret);
            db.Put(B("public"), B("ledger"));
            db.Flush(wallet);
            db.Flush();
            before = backups.CreateBackup(db).Id;
            db.ShredColumnFamily(wallet);
            backups.CreateBackup(db); // carries the shred to the older backups of this directory
        }
        backups.VerifyBackup(before);
        backups.RestoreBackup(before, dir.Sub("old"));
        using var restored = LatticeDb.Open(dir.Sub("old"), EncryptionSupport.Options(key, "wallet"));
        Assert.Equal(B("ledger"), restored.Get(B("public")));
        var handle = restored.GetColumnFamily("wallet");
        // Gone: the shredded family's tables are dropped at open (or fail to open); the secret never comes back.
        byte[]? seed = null;
        try { seed = restored.Get(handle, B("seed")); }
        catch (LatticeException) { }
        Assert.Null(seed);
    }

    private static SortedDictionary<string, string> ReadAllHex(LatticeDb db)
    {
        var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) all[Convert.ToHexString(it.Key)] = Convert.ToHexString(it.Value);
        return all;
    }
}
