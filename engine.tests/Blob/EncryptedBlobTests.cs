using System.Buffers.Binary;
using LatticeKV.Crypto;
using LatticeKV.Inspect;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// Encrypted and scoped families with values in blob files (FORMAT.md §21.7): every read path
/// sees the values, no value reaches the directory (or a backup of it) in plaintext, shredding a
/// scope makes its blob values unreadable, and a key rotation re-encrypts the blob files too.
/// </summary>
public sealed class EncryptedBlobTests
{
    private const int Threshold = 1000;

    private static DbOptions Options(byte[] key, Action<ColumnFamilyOptions>? configure = null)
    {
        var o = EncryptionSupport.Options(key);
        o.DefaultColumnFamilyOptions.BlobValueThreshold = Threshold;
        configure?.Invoke(o.DefaultColumnFamilyOptions);
        return o;
    }

    /// <summary>A compressible value of <paramref name="size"/> bytes with a random sentinel inside (incompressible: zstd would keep it whole).</summary>
    private static byte[] Value(int size, int seed, List<byte[]> sentinels)
    {
        var v = LargeValueCompressionTests.Text(size, seed);
        if (size < 64) return v;
        var sentinel = EncryptionSupport.Sentinel();
        sentinel.CopyTo(v, size / 2);
        sentinels.Add(sentinel);
        return v;
    }

    private static string[] BlobFiles(string path) => [.. Directory.GetFiles(path, "*.blob").Order()];

    /// <summary>Key generations the headers of the blob files under <paramref name="path"/> name (0 for a plain file).</summary>
    private static uint[] BlobGenerations(string path)
        => [.. BlobFiles(path).Select(File.ReadAllBytes).Select(b => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(8)) == 2 ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(20)) : 0u)];

    [Fact]
    public void EncryptedFamily_LargeValuesThroughFlushCompactionReopen_ReadBackAndNoPlaintextInDirectoryOrBackup()
    {
        using var dir = new TempDir("blob-sealed");
        var key = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        int[] sizes = [10, Threshold - 1, Threshold, 5000, 70_000];
        var first = sizes.Select((s, i) => Value(s, i, sentinels)).ToArray();
        var second = sizes.Select((s, i) => Value(s, 100 + i, sentinels)).ToArray();
        string db1 = dir.Sub("db");
        using (var db = LatticeDb.Open(db1, Options(key)))
        {
            for (int i = 0; i < sizes.Length; i++) db.Put(B($"k{i}"), first[i]);
            using var before = db.GetSnapshot();
            db.Flush();
            Assert.Single(BlobFiles(db1));
            Assert.Equal(3, db.GetStatistics()["blob.values.written"]);
            for (int i = 0; i < sizes.Length; i++) db.Put(B($"k{i}"), second[i]);
            db.Flush();
            db.CompactRange();
            for (int i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(second[i], db.Get(B($"k{i}")));
                Assert.Equal(first[i], db.Get(B($"k{i}"), new ReadOptions { Snapshot = before }));
            }
            using (var it = db.NewIterator(new ReadOptions { Snapshot = before }))
            {
                int n = sizes.Length;
                for (it.SeekToLast(); it.Valid; it.Prev()) { n--; Assert.Equal(first[n], it.Value.ToArray()); }
                Assert.Equal(0, n);
            }
            db.VerifyChecksums();
        }
        Assert.NotEmpty(BlobFiles(db1));
        Assert.All(BlobGenerations(db1), g => Assert.Equal(1u, g));
        // Sealed blob files need format 10; every encrypted database this build writes records 11 (compact sealed logs).
        Assert.Equal(11u, DatabaseInspector.Inspect(db1, EncryptionOptions.FromKey(key)).FormatVersion);
        Assert.True(EncryptionSupport.CountFound(db1, sentinels) == 0, "found in " + EncryptionSupport.WhereFound(db1, sentinels));

        using (var db = LatticeDb.Open(db1, Options(key)))
        {
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(second[n], it.Value.ToArray());
            Assert.Equal(sizes.Length, n);
            using var backups = BackupEngine.Open(dir.Sub("backups"));
            backups.CreateBackup(db);
            backups.RestoreLatestBackup(dir.Sub("restored"));
        }
        Assert.True(EncryptionSupport.CountFound(dir.Sub("backups"), sentinels) == 0, "found in " + EncryptionSupport.WhereFound(dir.Sub("backups"), sentinels));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir.Sub("backups"), "shared"), "*.blob"));
        using (var restored = LatticeDb.Open(dir.Sub("restored"), Options(key)))
            for (int i = 0; i < sizes.Length; i++) Assert.Equal(second[i], restored.Get(B($"k{i}")));
    }

    [Fact]
    public void EncryptedFamily_TamperedBlobRecordInDatabase_ReadThrowsCorruptionNamingBlobFileAndOffset()
    {
        using var dir = new TempDir("blob-sealed-tamper");
        var key = EncryptionSupport.NewKey();
        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            db.Put(B("k"), new byte[4000]);
            db.Flush();
        }
        string blob = Assert.Single(BlobFiles(dir.Path));
        var bytes = File.ReadAllBytes(blob);
        const int recordOffset = 40; // the first record follows the sealed header
        bytes[recordOffset + 16] ^= 1; // the first ciphertext byte (zeros compress to a few bytes)
        // The record's CRC is recomputed: only authentication can tell.
        int stored = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(recordOffset + 4));
        uint crc = LatticeKV.Blob.BlobFileFormat.RecordCrc(bytes.AsSpan(recordOffset), bytes.AsSpan(recordOffset + 16, stored));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(recordOffset + 12), crc);
        File.WriteAllBytes(blob, bytes);
        using var reopened = LatticeDb.Open(dir.Path, Options(key));
        var ex = Assert.Throws<CorruptionException>(() => reopened.Get(B("k")));
        Assert.Equal(blob, ex.FilePath);
    }

    [Fact]
    public void ScopedFamily_LargeValuesInBlobFiles_ShreddingAScopeMakesThemUnreadable()
    {
        using var dir = new TempDir("blob-scope");
        var key = EncryptionSupport.NewKey();
        var alice = new List<byte[]>();
        var bob = new List<byte[]>();
        var options = Options(key, o => o.EncryptionScope = ScopeOf);
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            for (int i = 0; i < 10; i++)
            {
                db.Put(B($"user/alice/{i}"), Value(3000, i, alice));
                db.Put(B($"user/bob/{i}"), Value(3000, 50 + i, bob));
            }
            db.Flush();
            Assert.NotEmpty(BlobFiles(dir.Path));
            Assert.Equal(3000, db.Get(B("user/alice/3"))!.Length);
            db.ShredScope(db.DefaultColumnFamily, B("user/alice"));
            Assert.Null(db.Get(B("user/alice/3")));
            db.CompactRange();
            for (int i = 0; i < 10; i++)
            {
                Assert.Null(db.Get(B($"user/alice/{i}")));
                Assert.Equal(3000, db.Get(B($"user/bob/{i}"))!.Length);
            }
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, alice.Concat(bob)));
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            using var it = db.NewIterator();
            int n = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.StartsWith("user/bob/", S(it.Key.ToArray()), StringComparison.Ordinal);
            Assert.Equal(10, n);
        }
    }

    private static ReadOnlySpan<byte> ScopeOf(ReadOnlySpan<byte> key)
    {
        int first = key.IndexOf((byte)'/');
        int second = first < 0 ? -1 : key[(first + 1)..].IndexOf((byte)'/');
        return second < 0 ? default : key[..(first + 1 + second)];
    }

    [Fact]
    public void Rotation_RewritesOldGenerationBlobFiles_AndDestroysTheOldKeyOnlyWhenNothingUsesIt()
    {
        using var dir = new TempDir("blob-rotate");
        var key = EncryptionSupport.NewKey();
        var options = Options(key);
        options.Encryption!.ReencryptionBytesPerSecond = 0; // CompactRange does it, deterministically
        var sentinels = new List<byte[]>();
        var values = Enumerable.Range(0, 20).Select(i => Value(2000 + i, i, sentinels)).ToArray();
        using var db = LatticeDb.Open(dir.Path, options);
        for (int i = 0; i < values.Length; i++) db.Put(B($"k{i:D2}"), values[i]);
        db.Flush();
        db.CompactRange();
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(1u, g));
        uint oldKey = db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id;
        var pinned = db.NewIterator(); // holds the version whose blob files are sealed with the old key

        db.RotateEncryptionKey(db.DefaultColumnFamily);
        db.CompactRange();
        Assert.Matches("^gen2=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
        Assert.Equal(KeyState.Retired, db.KeyRegistry.Find(oldKey)!.State);
        int seen = 0;
        for (pinned.SeekToFirst(); pinned.Valid; pinned.Next(), seen++) Assert.Equal(values[seen], pinned.Value.ToArray());
        Assert.Equal(values.Length, seen);

        pinned.Dispose();
        db.Flush(); // a purge runs: no live table or blob file uses the old key now
        Assert.Equal(KeyState.Destroyed, db.KeyRegistry.Find(oldKey)!.State);
        Assert.NotEmpty(BlobFiles(dir.Path));
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(2u, g));
        for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], db.Get(B($"k{i:D2}")));
        db.VerifyChecksums();
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
    }

    [Fact]
    public async Task Repair_AfterRotation_OldKeyBlobFilesUnderNewKeyTables_AreReencryptedAndTheOldKeyDestroyed()
    {
        using var dir = new TempDir("blob-repair-rotate");
        var key = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        var values = Enumerable.Range(0, 20).Select(i => Value(2000 + i, i, sentinels)).ToArray();
        DbOptions Paused()
        {
            var o = Options(key);
            o.Encryption!.ReencryptionBytesPerSecond = 0;
            return o;
        }
        uint oldKey;
        using (var db = LatticeDb.Open(dir.Path, Paused()))
        {
            for (int i = 0; i < values.Length; i++) db.Put(B($"k{i:D2}"), values[i]);
            db.Flush();
            db.CompactRange();
            oldKey = db.KeyRegistry!.Active(KeyPurpose.Data, 0)!.Id;
            db.RotateEncryptionKey(db.DefaultColumnFamily);
        }
        // Repair rewrites the tables under the active key and keeps their references into the old key's blob files.
        LatticeDb.Repair(dir.Path, Paused());
        using (var db = LatticeDb.Open(dir.Path, Paused()))
        {
            string split = db.GetProperty("lattice.encryption.bytes-per-generation")!;
            Assert.Matches("^gen1=[0-9]+ gen2=[0-9]+$", split);
        }
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(1u, g));

        using (var db = LatticeDb.Open(dir.Path, Options(key)))
        {
            await Task.Run(db.WaitForCompactions).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Matches("^gen2=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
            db.Put(B("late"), B("x"));
            db.Flush(); // a purge runs: no live table or blob file uses the old key now
            Assert.Equal(KeyState.Destroyed, db.KeyRegistry!.Find(oldKey)!.State);
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], db.Get(B($"k{i:D2}")));
            db.VerifyChecksums();
        }
        Assert.NotEmpty(BlobFiles(dir.Path));
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(2u, g));
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
    }

    [Fact]
    public void TurningEncryptionOnAndOff_RewritesBlobFilesUnderTheFamilysKey_AndNoPlaintextRemainsWhileOn()
    {
        using var dir = new TempDir("blob-migrate");
        var key = EncryptionSupport.NewKey();
        var sentinels = new List<byte[]>();
        // Random values: zstd saves nothing, so they are stored whole and the plain files hold every sentinel.
        var values = Enumerable.Range(0, 10).Select(_ => System.Security.Cryptography.RandomNumberGenerator.GetBytes(3000)).ToArray();
        sentinels.AddRange(values.Select(v => v[1000..1016]));
        var plain = new DbOptions();
        plain.DefaultColumnFamilyOptions.BlobValueThreshold = Threshold;
        using (var db = LatticeDb.Open(dir.Path, plain))
        {
            for (int i = 0; i < values.Length; i++) db.Put(B($"k{i}"), values[i]);
            db.Flush();
        }
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(0u, g));
        Assert.Equal(values.Length, EncryptionSupport.CountFound(dir.Path, sentinels));

        var on = Options(key);
        on.Encryption!.ReencryptionBytesPerSecond = 0;
        using (var db = LatticeDb.Open(dir.Path, on))
        {
            db.CompactRange();
            Assert.DoesNotContain("plaintext", db.GetProperty("lattice.encryption.bytes-per-generation"));
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], db.Get(B($"k{i}")));
        }
        Assert.NotEmpty(BlobFiles(dir.Path));
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(1u, g));
        Assert.True(EncryptionSupport.CountFound(dir.Path, sentinels) == 0, "found in " + EncryptionSupport.WhereFound(dir.Path, sentinels));

        var off = Options(key, o => o.Encrypted = false);
        off.Encryption!.ReencryptionBytesPerSecond = 0;
        using (var db = LatticeDb.Open(dir.Path, off))
        {
            db.CompactRange();
            Assert.Matches("^plaintext=[0-9]+$", db.GetProperty("lattice.encryption.bytes-per-generation"));
            for (int i = 0; i < values.Length; i++) Assert.Equal(values[i], db.Get(B($"k{i}")));
        }
        Assert.All(BlobGenerations(dir.Path), g => Assert.Equal(0u, g));
    }

    [Fact]
    public void ShredColumnFamily_WithBlobFiles_DropsThemAndLeavesTheOtherFamilyReadable()
    {
        using var dir = new TempDir("blob-shred");
        var key = EncryptionSupport.NewKey();
        var options = EncryptionSupport.Options(key, "other");
        options.DefaultColumnFamilyOptions.BlobValueThreshold = Threshold;
        options.ColumnFamilyOptions["other"].BlobValueThreshold = Threshold;
        var sentinels = new List<byte[]>();
        var kept = Enumerable.Range(0, 5).Select(i => Value(3000, 50 + i, sentinels)).ToArray();
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var other = db.CreateColumnFamily("other", options.ColumnFamilyOptions["other"]);
            for (int i = 0; i < 5; i++)
            {
                db.Put(B($"gone{i}"), Value(3000, i, sentinels));
                db.Put(other, B($"kept{i}"), kept[i]);
            }
            db.Flush();
            db.Flush(other);
            Assert.Equal("1", db.GetProperty(db.DefaultColumnFamily, "lattice.blob.num-files"));
            int before = BlobFiles(dir.Path).Length;

            db.ShredColumnFamily(db.DefaultColumnFamily);
            Assert.Equal("0", db.GetProperty(db.DefaultColumnFamily, "lattice.blob.num-files"));
            Assert.Equal(before - 1, BlobFiles(dir.Path).Length);
            Assert.Null(db.Get(B("gone0")));
            for (int i = 0; i < 5; i++) Assert.Equal(kept[i], db.Get(other, B($"kept{i}")));
            db.VerifyChecksums();
        }
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            db.VerifyChecksums();
            for (int i = 0; i < 5; i++) Assert.Equal(kept[i], db.Get(db.GetColumnFamily("other"), B($"kept{i}")));
        }
        Assert.Equal(0, EncryptionSupport.CountFound(dir.Path, sentinels));
    }
}
