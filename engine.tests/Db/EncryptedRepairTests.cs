using LatticeKV.Inspect;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

/// <summary>Repair of encrypted databases: sealed output, no plaintext anywhere, shredded data never back.</summary>
public sealed class EncryptedRepairTests
{
    private static void DeleteManifests(string path)
    {
        foreach (var m in Directory.EnumerateFiles(path, "MANIFEST-*")) File.Delete(m);
    }

    [Fact]
    public void Repair_WithoutKey_ThrowsAndChangesNothing_WithKey_SealsEverythingItWrites()
    {
        using var dir = new TempDir("enc-repair");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key, "secrets");
        var secrets = new List<byte[]>();
        Dictionary<string, List<string>> expected;
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var family = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
            for (int i = 0; i < 300; i++)
            {
                byte[] k = EncryptionSupport.Sentinel(), v = EncryptionSupport.Sentinel(), dk = EncryptionSupport.Sentinel(), dv = EncryptionSupport.Sentinel();
                secrets.AddRange([k, v, dk, dv]);
                db.Put(family, k, v);
                db.Put(dk, dv);
                if (i == 150) db.Flush(family);
            }
            db.Flush(); // the default family's writes in a table; the rest of "secrets" in the sealed log
            expected = db.ColumnFamilies.ToDictionary(cf => cf.Name, cf => TestDb.Contents(db, cf));
        }
        DeleteManifests(dir.Path);
        var before = DirectoryFingerprint.Of(dir.Path);
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Repair(dir.Path));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.Repair(dir.Path, EncryptionSupport.Options(EncryptionSupport.NewKey())));
        Assert.Equal(before, DirectoryFingerprint.Of(dir.Path));

        // The caller's options need not say which families are encrypted: the keys and sealed tables tell.
        var report = LatticeDb.Repair(dir.Path, new DbOptions { Encryption = EncryptionOptions.FromKey(key) });
        Assert.True(report.Complete, string.Join("\n", report.Problems));
        Assert.Equal(0, report.TablesShredded);
        Assert.True(EncryptionSupport.CountFound(dir.Path, secrets) == 0, "found in " + EncryptionSupport.WhereFound(dir.Path, secrets));
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(dir.Path, "lost")));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir.Path, "lost"), "KEYREGISTRY-*"));

        var info = DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key));
        Assert.Equal(11u, info.FormatVersion);
        var tables = info.ColumnFamilies.SelectMany(cf => cf.Levels).SelectMany(l => l.Files).ToList();
        Assert.NotEmpty(tables);
        Assert.All(tables, t => Assert.True(t.Encrypted, t.FileName + " is plaintext"));
        Assert.True(info.ColumnFamilies.Single(cf => cf.Name == "secrets").Encrypted);
        using (var db = LatticeDb.Open(dir.Path, options))
            foreach (var cf in db.ColumnFamilies) Assert.Equal(expected[cf.Name], TestDb.Contents(db, cf));
    }

    /// <summary>
    /// Tables of a shredded family that survive in the directory (a crash between the shred and
    /// their deletion, or a copy put back) and logs that held its writes are counted, never read:
    /// the family stays empty after repair.
    /// </summary>
    [Fact]
    public void Repair_TablesAndLogsOfAShreddedFamily_AreCountedAndNeverComeBack()
    {
        using var dir = new TempDir("enc-repair-shred");
        using var saved = new TempDir("enc-repair-saved");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key, "secrets");
        List<string> expectedDefault;
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var family = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
            for (int i = 0; i < 200; i++)
            {
                db.Put(family, TestDb.B($"s{i:D4}"), TestDb.B($"secret {i}"));
                db.Put(TestDb.B($"d{i:D4}"), TestDb.B($"kept {i}"));
            }
            db.Flush(family);
            db.Put(family, TestDb.B("unflushed"), TestDb.B("in the log only"));
            // What a crash or a restored backup could leave: the family's tables and the log holding its last write.
            foreach (var f in Directory.EnumerateFiles(dir.Path).Where(f => f.EndsWith(".sst", StringComparison.Ordinal) || f.EndsWith(".log", StringComparison.Ordinal)))
                File.Copy(f, Path.Combine(saved.Path, Path.GetFileName(f)));
            db.ShredColumnFamily(family);
            expectedDefault = TestDb.Contents(db, db.DefaultColumnFamily);
        }
        foreach (var f in Directory.EnumerateFiles(saved.Path))
        {
            string target = Path.Combine(dir.Path, Path.GetFileName(f));
            if (!File.Exists(target)) File.Copy(f, target);
        }
        DeleteManifests(dir.Path);

        var report = LatticeDb.Repair(dir.Path, options);
        Assert.True(report.TablesShredded > 0, string.Join("\n", report.Problems));
        Assert.True(report.LogRecordsShredded > 0, string.Join("\n", report.Problems));
        Assert.Equal(0, report.TablesUnreadable);
        Assert.Contains(report.Problems, p => p.Contains("shredded", StringComparison.Ordinal));
        using var reopened = LatticeDb.Open(dir.Path, options);
        Assert.Equal(expectedDefault, TestDb.Contents(reopened, reopened.DefaultColumnFamily));
        // Nothing of the shredded family is readable in any family (an empty family leaves no trace for repair to name it by).
        string secretHex = Convert.ToHexString(TestDb.B("secret "));
        string logOnlyHex = Convert.ToHexString(TestDb.B("in the log only"));
        foreach (var cf in reopened.ColumnFamilies)
            Assert.DoesNotContain(TestDb.Contents(reopened, cf), kv => kv.Contains(secretHex, StringComparison.Ordinal) || kv.Contains(logOnlyHex, StringComparison.Ordinal));
    }
}
