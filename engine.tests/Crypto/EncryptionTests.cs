using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

public sealed class EncryptionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void EncryptedDatabase_RoundTripsThroughFlushCompactionAndReopen()
    {
        using var dir = new TempDir("enc");
        var key = EncryptionSupport.NewKey();
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            for (int i = 0; i < 5000; i++)
            {
                string k = $"key{i:D6}", v = $"value-{i}-" + new string('x', i % 50);
                db.Put(TestDb.B(k), TestDb.B(v));
                expected[k] = v;
                if (i % 1000 == 999) db.Flush();
            }
            db.Delete(TestDb.B("key000010"));
            expected.Remove("key000010");
            db.CompactRange();
        }
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            foreach (var (k, v) in expected) Assert.Equal(v, TestDb.S(db.Get(TestDb.B(k))));
            Assert.Null(db.Get(TestDb.B("key000010")));
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next()) n++;
            Assert.Equal(expected.Count, n);
            Assert.StartsWith("gen1=", db.GetProperty("lattice.encryption.bytes-per-generation"));
        }
    }

    [Fact]
    public void EncryptedAndPlainDatabases_SameRandomWrites_ReadTheSameAfterTheirLogsAreReplayed()
    {
        // Several MiB of log records, none flushed (a large write buffer): after reopening, both
        // databases hold exactly what their logs replay, and the two must agree with the model.
        int seed = TestSeed.Get(7676);
        output.WriteLine($"seed {seed}");
        using var dir = new TempDir("enc");
        var key = EncryptionSupport.NewKey();
        DbOptions Plain() => new() { WriteBufferSize = 32 << 20 };
        DbOptions Encrypted()
        {
            var o = EncryptionSupport.Options(key);
            o.WriteBufferSize = 32 << 20;
            return o;
        }
        string plainPath = dir.Sub("plain"), encryptedPath = dir.Sub("encrypted");
        var model = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var rnd = new Random(seed);
        using (var plain = LatticeDb.Open(plainPath, Plain()))
        using (var encrypted = LatticeDb.Open(encryptedPath, Encrypted()))
        {
            for (int i = 0; i < 30_000 * TestSeed.Scale; i++)
            {
                string k = $"key{rnd.Next(20_000):D6}";
                if (rnd.Next(10) == 0)
                {
                    plain.Delete(TestDb.B(k));
                    encrypted.Delete(TestDb.B(k));
                    model.Remove(k);
                    continue;
                }
                var value = new byte[rnd.Next(0, 300)];
                rnd.NextBytes(value);
                if (rnd.Next(20) == 0)
                {
                    var batch = new WriteBatch();
                    batch.Put(TestDb.B(k), value);
                    batch.Put(TestDb.B(k + "-b"), value);
                    plain.Write(batch);
                    encrypted.Write(batch);
                    model[k + "-b"] = value;
                }
                else
                {
                    plain.Put(TestDb.B(k), value);
                    encrypted.Put(TestDb.B(k), value);
                }
                model[k] = value;
            }
        }
        using (var plain = LatticeDb.Open(plainPath, Plain()))
        using (var encrypted = LatticeDb.Open(encryptedPath, Encrypted()))
        {
            Assert.Equal(model, ReadAll(plain));
            Assert.Equal(model, ReadAll(encrypted));
        }
    }

    private static SortedDictionary<string, byte[]> ReadAll(LatticeDb db)
    {
        var all = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        using var it = db.NewIterator();
        for (it.SeekToFirst(); it.Valid; it.Next()) all[TestDb.S(it.Key.ToArray())!] = it.Value.ToArray();
        return all;
    }

    [Fact]
    public void SentinelScan_FindsNothingOfEncryptedFamilies_AndEverythingOfThePlaintextControl()
    {
        using var dir = new TempDir("sentinel");
        var key = EncryptionSupport.NewKey();
        var secret = new List<byte[]>();
        var control = new List<byte[]>();
        var options = EncryptionSupport.Options(key, "secrets");
        var phases = new List<string>();
        void Scan(string phase)
        {
            int files = Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories).Count();
            int hits = EncryptionSupport.CountFound(dir.Path, secret);
            phases.Add($"{phase}: {secret.Count} encrypted sentinels, {files} files, {hits} found");
            Assert.True(hits == 0, $"{phase}: found in " + EncryptionSupport.WhereFound(dir.Path, secret));
        }
        void Write(LatticeDb db, ColumnFamilyHandle secrets, ColumnFamilyHandle plain, int count)
        {
            for (int i = 0; i < count; i++)
            {
                byte[] sk = EncryptionSupport.Sentinel(), sv = EncryptionSupport.Sentinel(), dk = EncryptionSupport.Sentinel(), dv = EncryptionSupport.Sentinel();
                byte[] ck = EncryptionSupport.Sentinel(), cv = EncryptionSupport.Sentinel();
                secret.AddRange([sk, sv, dk, dv]);
                control.AddRange([ck, cv]);
                var batch = new WriteBatch();
                batch.Put(secrets, sk, sv);
                batch.Put(dk, dv);
                batch.Put(plain, ck, cv);
                db.Write(batch);
            }
        }
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var secrets = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
            var plain = db.CreateColumnFamily("plain");
            Write(db, secrets, plain, 300);
            Scan("puts and batches (log only)");
            db.Flush(secrets);
            db.Flush(plain);
            db.Flush();
            Scan("flush");
            Write(db, secrets, plain, 300);
            db.Flush();
            db.Flush(secrets);
            db.CompactRange(secrets);
            db.CompactRange();
            Scan("compaction");
            db.RotateEncryptionKey(secrets);
            Write(db, secrets, plain, 100);
            db.Flush(secrets);
            db.CompactRange(secrets);
            Scan("rotation");
            // Unflushed writes sit in the sealed log only.
            for (int i = 0; i < 50; i++)
            {
                byte[] k = EncryptionSupport.Sentinel(), v = EncryptionSupport.Sentinel();
                secret.AddRange([k, v]);
                db.Put(secrets, k, v, new WriteOptions { Sync = true });
            }
        }
        Scan("close with unflushed synced writes");
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            Assert.Equal(secret[^1], db.Get(db.GetColumnFamily("secrets"), secret[^2]));
            Scan("reopen (replay and recovery flush)");
        }
        // The scan works: the control family's sentinels are in its plaintext tables.
        int controlFound = EncryptionSupport.CountFound(dir.Path, control);
        phases.Add($"control: {control.Count} plaintext sentinels, {controlFound} found");
        foreach (var p in phases) output.WriteLine(p);
        Assert.Equal(control.Count, controlFound);
    }

    [Fact]
    public void WrongOrMissingKey_FailsTyped_AndChangesNoFile()
    {
        using var dir = new TempDir("wrongkey");
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(key)))
        {
            db.Put(TestDb.B("a"), TestDb.B("1"));
        }
        var before = DirectoryFingerprint.Of(dir.Path);
        var wrong = Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Path, EncryptionSupport.Options(EncryptionSupport.NewKey())));
        Assert.Contains("KEYREGISTRY", wrong.Message, StringComparison.Ordinal);
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Path));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.OpenReadOnly(dir.Path));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Path, new DbOptions { Encryption = EncryptionOptions.FromPassphrase("guess", PassphraseKdf.Pbkdf2Sha256()) }));
        Assert.Equal(before, DirectoryFingerprint.Of(dir.Path));
        Assert.Throws<InvalidArgumentException>(() => EncryptionOptions.FromKey(new byte[31]));
        using var ro = LatticeDb.OpenReadOnly(dir.Path, EncryptionSupport.Options(key));
        Assert.Equal("1", TestDb.S(ro.Get(TestDb.B("a"))));
    }

    [Fact]
    public void Passphrase_Pbkdf2AndArgon2id_OpenWithTheRightPassphraseOnly()
    {
        using var dir = new TempDir("pass");
        foreach (var kdf in new[] { PassphraseKdf.Pbkdf2Sha256(), PassphraseKdf.Argon2id(19 * 1024, 2) })
        {
            string path = dir.Sub(kdf.MemoryKiB == 0 ? "pbkdf2" : "argon2");
            var options = new DbOptions { Encryption = EncryptionOptions.FromPassphrase("correct horse", kdf), DefaultColumnFamilyOptions = new ColumnFamilyOptions { Encrypted = true } };
            using (var db = LatticeDb.Open(path, options)) db.Put(TestDb.B("k"), TestDb.B("v"));
            // The stored KDF and salt decide, whatever cost the opener names.
            using (var db = LatticeDb.Open(path, new DbOptions { Encryption = EncryptionOptions.FromPassphrase("correct horse", kdf) }))
                Assert.Equal("v", TestDb.S(db.Get(TestDb.B("k"))));
            Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(path, new DbOptions { Encryption = EncryptionOptions.FromPassphrase("correct hors", kdf) }));
        }
    }

    [Fact]
    public void ChangeMasterKey_OldKeyStopsWorking_NewOneOpens()
    {
        using var dir = new TempDir("rekey");
        byte[] oldKey = EncryptionSupport.NewKey(), newKey = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, EncryptionSupport.Options(oldKey)))
        {
            for (int i = 0; i < 2000; i++) db.Put(TestDb.B($"k{i}"), TestDb.B($"v{i}"));
            db.Flush();
            var tables = Directory.GetFiles(dir.Path, "*.sst").ToDictionary(f => f, File.ReadAllBytes);
            db.ChangeMasterKey(EncryptionOptions.FromKey(newKey));
            // Only the registry changed.
            foreach (var (f, bytes) in tables) Assert.Equal(bytes, File.ReadAllBytes(f));
        }
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Open(dir.Path, EncryptionSupport.Options(oldKey)));
        using var reopened = LatticeDb.Open(dir.Path, EncryptionSupport.Options(newKey));
        Assert.Equal("v1999", TestDb.S(reopened.Get(TestDb.B("k1999"))));
    }
}
