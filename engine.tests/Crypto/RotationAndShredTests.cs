using LatticeKV.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

public sealed class RotationAndShredTests
{
    private static void Fill(LatticeDb db, ColumnFamilyHandle cf, string prefix, int count, Dictionary<string, string> expected)
    {
        for (int i = 0; i < count; i++)
        {
            string k = $"{prefix}{i:D6}", v = $"{prefix}-value-{i}";
            db.Put(cf, TestDb.B(k), TestDb.B(v));
            expected[k] = v;
        }
    }

    private static void AssertAll(LatticeDb db, ColumnFamilyHandle cf, Dictionary<string, string> expected, Snapshot? snapshot = null)
    {
        var ro = new ReadOptions { Snapshot = snapshot };
        foreach (var (k, v) in expected) Assert.Equal(v, TestDb.S(db.Get(cf, TestDb.B(k), ro)));
    }

    [Fact]
    public void Rotation_WithDataAtSeveralLevelsSnapshotsAndIterators_KeepsReadsExact_AndDestroysTheOldKeyOnlyWhenUnused()
    {
        using var dir = new TempDir("rotate");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key);
        options.Encryption!.ReencryptionBytesPerSecond = 0; // CompactRange does it here, deterministically
        using var db = LatticeDb.Open(dir.Path, options);
        var cf = db.DefaultColumnFamily;
        var expected = new Dictionary<string, string>();
        Fill(db, cf, "a", 3000, expected);
        db.CompactRange(); // to the bottom
        Fill(db, cf, "b", 2000, expected);
        db.Flush(); // level 0
        Fill(db, cf, "c", 100, expected); // memtable
        var snapshotExpected = new Dictionary<string, string>(expected);
        var snapshot = db.GetSnapshot();
        // An open iterator pins the current version, whose files are sealed with the old key.
        var pinned = db.NewIterator();
        uint oldKey = db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id;

        db.RotateEncryptionKey(cf);
        Assert.Equal("2", db.GetProperty("lattice.encryption.key-generation"));
        Fill(db, cf, "d", 500, expected);
        db.Flush();
        Assert.Contains("gen1=", db.GetProperty("lattice.encryption.bytes-per-generation"));
        Assert.Contains("gen2=", db.GetProperty("lattice.encryption.bytes-per-generation"));

        db.CompactRange();
        Assert.Matches("^gen2=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
        AssertAll(db, cf, expected);
        AssertAll(db, cf, snapshotExpected, snapshot);
        // The iterator still reads the old version's files, sealed with the old key: it must live.
        Assert.Equal(KeyState.Retired, db.KeyRegistry.Find(oldKey)!.State);
        int seen = 0;
        for (pinned.SeekToFirst(); pinned.Valid; pinned.Next())
        {
            Assert.Equal(snapshotExpected[TestDb.S(pinned.Key.ToArray())!], TestDb.S(pinned.Value.ToArray()));
            seen++;
        }
        Assert.Equal(snapshotExpected.Count, seen);

        pinned.Dispose();
        snapshot.Dispose();
        db.Flush(); // a purge runs: nothing needs the old key now
        Assert.Equal(KeyState.Destroyed, db.KeyRegistry.Find(oldKey)!.State);
        Assert.All(db.KeyRegistry.Find(oldKey)!.Material, b => Assert.Equal(0, b));
        AssertAll(db, cf, expected);
    }

    [Fact]
    public void ARetiredKey_ThatAHolderStillNeeds_IsNotDestroyed_UntilTheHolderLetsGo()
    {
        using var dir = new TempDir("rotate-hold");
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        options.Encryption!.ReencryptionBytesPerSecond = 0;
        using var db = LatticeDb.Open(dir.Path, options);
        var expected = new Dictionary<string, string>();
        Fill(db, db.DefaultColumnFamily, "a", 2000, expected);
        db.Flush();
        uint old = db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id;
        // A retained backup holding tables sealed with the old key.
        var hold = db.AddKeyHolder(() => [old]);
        db.RotateEncryptionKey(db.DefaultColumnFamily);
        db.CompactRange();
        Assert.Matches("^gen2=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
        Assert.Equal(KeyState.Retired, db.KeyRegistry.Find(old)!.State);
        hold.Dispose();
        db.Flush(); // a purge: nothing needs it now
        Assert.Equal(KeyState.Destroyed, db.KeyRegistry.Find(old)!.State);
        AssertAll(db, db.DefaultColumnFamily, expected);
    }

    [Fact]
    public void Rotation_ReencryptsInTheBackground_WithoutCompactRange()
    {
        using var dir = new TempDir("rotate-bg");
        var options = EncryptionSupport.Options(EncryptionSupport.NewKey());
        using var db = LatticeDb.Open(dir.Path, options);
        var expected = new Dictionary<string, string>();
        Fill(db, db.DefaultColumnFamily, "a", 3000, expected);
        db.CompactRange();
        db.RotateEncryptionKey(db.DefaultColumnFamily);
        // The compaction thread rewrites the old generation at the paced rate; waiting for
        // compactions to finish includes that work.
        db.WaitForCompactions();
        Assert.Matches("^gen2=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
        AssertAll(db, db.DefaultColumnFamily, expected);
    }

    [Fact]
    public void Shred_DestroysOneFamily_LeavesTheOthersAndTheirHalfOfMixedBatches()
    {
        using var dir = new TempDir("shred");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key, "a", "b");
        var keptB = new Dictionary<string, string>();
        var shredded = new List<byte[]>();
        string aside = dir.Sub("aside");
        Directory.CreateDirectory(aside);
        using (var db = LatticeDb.Open(dir.Sub("db"), options))
        {
            var a = db.CreateColumnFamily("a", new ColumnFamilyOptions { Encrypted = true });
            var b = db.CreateColumnFamily("b", new ColumnFamilyOptions { Encrypted = true });
            for (int i = 0; i < 2000; i++)
            {
                var secret = EncryptionSupport.Sentinel();
                shredded.Add(secret);
                var batch = new WriteBatch();
                batch.Put(a, TestDb.B($"k{i:D5}"), secret);
                batch.Put(b, TestDb.B($"k{i:D5}"), TestDb.B($"b{i}"));
                keptB[$"k{i:D5}"] = $"b{i}";
                db.Write(batch);
                if (i == 1000) { db.Flush(a); db.Flush(b); }
            }
            foreach (var f in Directory.GetFiles(dir.Sub("db"), "*.sst")) File.Copy(f, Path.Combine(aside, Path.GetFileName(f)));
            db.ShredColumnFamily(a);
            Assert.Null(db.Get(a, TestDb.B("k00000")));
            Assert.Null(db.Get(a, TestDb.B("k01999")));
            using (var it = db.NewIterator(a))
            {
                it.SeekToFirst();
                Assert.False(it.Valid);
            }
            AssertAll(db, b, keptB);
            db.Put(a, TestDb.B("after"), TestDb.B("shred"));
            // The logs and MANIFEST that held the family's writes are gone, and the key that sealed them.
            var metadata = db.KeyRegistry!.Keys().Where(k => k.Purpose == LatticeKV.Crypto.KeyPurpose.Metadata).ToList();
            Assert.Single(metadata, k => k.State != KeyState.Destroyed);
            Assert.Contains(metadata, k => k.State == KeyState.Destroyed);

            // Copies taken before the shred cannot be read: their key is gone.
            int unreadable = 0;
            foreach (var copy in Directory.GetFiles(aside))
            {
                try
                {
                    using var reader = LatticeKV.Sst.TableReader.Open(LatticeKV.Io.RealFileSystem.Instance.OpenRead(copy), 1,
                        new LatticeKV.Sst.TableReaderOptions(new LatticeKV.Keys.InternalKeyComparator(KeyComparator.Bytewise), null, false, keys: db.KeyRegistry));
                }
                catch (EncryptionKeyException ex) when (ex.Message.Contains("destroyed", StringComparison.Ordinal))
                {
                    unreadable++;
                }
                catch (CorruptionException) { } // b's tables: opened under another file number they fail authentication
            }
            Assert.True(unreadable > 0, "no copied table of the shredded family was refused for its destroyed key");
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Sub("db"), shredded));
        using (var db = LatticeDb.Open(dir.Sub("db"), options))
        {
            var a = db.GetColumnFamily("a");
            Assert.Null(db.Get(a, TestDb.B("k00005")));
            Assert.Equal("shred", TestDb.S(db.Get(a, TestDb.B("after"))));
            AssertAll(db, db.GetColumnFamily("b"), keptB);
        }
    }

    [Fact]
    public void EncryptingAnExistingDatabase_ReplaysPlainLogsNumberedPastTheManifestsNextFileNumber()
    {
        using var dir = new TempDir("migrate-late-log");
        ulong last;
        using (var db = LatticeDb.Open(dir.Path))
        {
            db.Put(TestDb.B("a"), TestDb.B("1"));
            last = db.LatestSequenceNumber;
        }
        // A log rolled after the MANIFEST's last edit (a memtable switch whose flush never finished)
        // carries a number past the next-file number the MANIFEST recorded.
        var batch = new WriteBatch();
        batch.Put(TestDb.B("late"), TestDb.B("2"));
        batch.SetHeader(last + 1, 0);
        long lastLog = Directory.GetFiles(dir.Path, "*.log").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Max();
        using (var log = new LatticeKV.Wal.LogWriter(LatticeKV.Io.RealFileSystem.Instance.CreateWritable(LatticeKV.Io.FileNames.Log(dir.Path, lastLog + 50))))
        {
            log.AddRecord(batch.Rep);
            log.File.Sync();
        }
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(EncryptionSupport.NewKey())))
        {
            Assert.Equal("1", TestDb.S(db.Get(TestDb.B("a"))));
            Assert.Equal("2", TestDb.S(db.Get(TestDb.B("late"))));
        }
    }

    [Fact]
    public void ReopeningWithoutSayingEncrypted_KeepsAnEncryptedFamilyEncrypted()
    {
        using var dir = new TempDir("sticky");
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key, "secrets")))
        {
            var secrets = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
            db.Put(secrets, TestDb.B("k"), TestDb.B("v"));
            db.Put(TestDb.B("k"), TestDb.B("v"));
        }
        // Options that leave Encrypted unset (for the default family and for "secrets") never decrypt.
        var unset = new DbOptions { Encryption = EncryptionOptions.FromKey(key) };
        unset.ColumnFamilyOptions["secrets"] = new ColumnFamilyOptions { BlockSize = 8192 };
        using (var db = LatticeDb.Open(dir.Path, unset))
        {
            db.CompactRange();
            db.CompactRange(db.GetColumnFamily("secrets"));
            Assert.Matches("^gen1=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
            Assert.Matches("^gen1=[0-9]+$", db.GetProperty(db.GetColumnFamily("secrets"), "lattice.encryption.bytes-per-generation"));
        }
    }

    [Fact]
    public void TurningEncryptionOff_RetiresTheKeyDurably_SoTurningItOnAgainStartsANewGeneration()
    {
        using var dir = new TempDir("retire-durable");
        var key = EncryptionSupport.NewKey();
        uint first;
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            first = db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id;
            db.Put(TestDb.B("k"), TestDb.B("v"));
            db.Flush(); // a table sealed with it: the key stays (retired) while the table lives
        }
        var off = EncryptionSupport.Options(key);
        off.DefaultColumnFamilyOptions.Encrypted = false;
        off.Encryption!.ReencryptionBytesPerSecond = 0; // the sealed table stays
        using (var db = LatticeDb.Open(dir.Path, off)) Assert.Equal(KeyState.Retired, db.KeyRegistry!.Find(first)!.State);
        // Retired across a restart: the retire was written, not lost under the open's rewrite of the registry.
        using (var db = LatticeDb.Open(dir.Path, off)) Assert.Equal(KeyState.Retired, db.KeyRegistry!.Find(first)!.State);
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            Assert.NotEqual(first, db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id);
            Assert.Equal("2", db.GetProperty("lattice.encryption.key-generation"));
            Assert.Equal("v", TestDb.S(db.Get(TestDb.B("k"))));
        }
    }

    [Fact]
    public void TurningEncryptionOnAndOff_RewritesOldFiles_AndNoPlaintextRemainsWhileOn()
    {
        using var dir = new TempDir("migrate");
        var sentinels = new List<byte[]>();
        var expected = new Dictionary<string, string>();
        // Uncompressed, so every sentinel is findable whole: Snappy may encode part of a random key as a
        // back-reference to an earlier chance match, and the scan below would miss it.
        var plain = new DbOptions { WriteBufferSize = 64 * 1024 };
        plain.DefaultColumnFamilyOptions.Compression = CompressionType.None;
        using (var db = LatticeDb.Open(dir.Path, plain))
        {
            for (int i = 0; i < 1000; i++)
            {
                var s = EncryptionSupport.Sentinel();
                sentinels.Add(s);
                db.Put(s, TestDb.B("v"));
            }
            db.Flush();
            for (int i = 0; i < 100; i++)
            {
                var s = EncryptionSupport.Sentinel();
                sentinels.Add(s);
                db.Put(s, TestDb.B("v")); // left in the plaintext log
            }
        }
        Assert.Equal(sentinels.Count, EncryptionSupport.CountFound(dir.Path, sentinels));
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            db.CompactRange();
            Assert.DoesNotContain("plaintext", db.GetProperty("lattice.encryption.bytes-per-generation"));
            foreach (var s in sentinels) Assert.NotNull(db.Get(s));
        }
        Assert.True(EncryptionSupport.CountFound(dir.Path, sentinels) == 0, "found in " + EncryptionSupport.WhereFound(dir.Path, sentinels));
        var off = EncryptionSupport.Options(key);
        off.DefaultColumnFamilyOptions.Encrypted = false;
        using (var db = LatticeDb.Open(dir.Path, off))
        {
            db.CompactRange();
            Assert.Matches("^plaintext=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
            foreach (var s in sentinels) Assert.NotNull(db.Get(s));
        }
        // The scan finds them again: the tables are plaintext now (the database stays encrypted: logs, MANIFEST).
        Assert.True(EncryptionSupport.CountFound(dir.Path, sentinels) > 0);
    }
}
