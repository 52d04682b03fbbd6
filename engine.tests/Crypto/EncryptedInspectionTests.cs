using LatticeKV.Inspect;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

/// <summary>
/// The readers that work without opening a database (inspector, verifier, file dumper, the list
/// of column families) on encrypted databases: with the key they read everything sealed; without
/// it they fail typed or show metadata only.
/// </summary>
public sealed class EncryptedInspectionTests
{
    /// <summary>An encrypted database with "secrets" (encrypted) and "plain" families, tables and unflushed writes in each.</summary>
    private static (byte[] Key, List<byte[]> Secrets, List<byte[]> Controls) Build(string path)
    {
        var key = EncryptionSupport.NewKey();
        var secrets = new List<byte[]>();
        var controls = new List<byte[]>();
        using var db = LatticeDb.Open(path, EncryptionSupport.Options(key, "secrets"));
        var secret = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true });
        var plain = db.CreateColumnFamily("plain");
        for (int i = 0; i < 200; i++)
        {
            byte[] sk = EncryptionSupport.Sentinel(), sv = EncryptionSupport.Sentinel(), ck = EncryptionSupport.Sentinel(), cv = EncryptionSupport.Sentinel();
            secrets.AddRange([sk, sv]);
            controls.AddRange([ck, cv]);
            db.Put(secret, sk, sv);
            db.Put(plain, ck, cv);
            if (i == 100)
            {
                db.Flush(secret);
                db.Flush(plain);
            }
        }
        return (key, secrets, controls);
    }

    [Fact]
    public void Inspect_WithoutKey_ListsFilesOnly_WithKey_HidesKeyRangesOfEncryptedFamilies()
    {
        using var dir = new TempDir("enc-inspect");
        var (key, secrets, controls) = Build(dir.Path);

        var locked = DatabaseInspector.Inspect(dir.Path);
        Assert.True(locked.Encrypted && locked.Locked);
        Assert.Empty(locked.ColumnFamilies);
        Assert.Equal("a raw 32-byte key", locked.MasterKey);
        var sealedTables = locked.Files.Where(f => f.Kind == "table" && f.KeyId != 0).ToList();
        Assert.NotEmpty(sealedTables);
        Assert.All(sealedTables, f => Assert.Equal(0u, f.KeyGeneration)); // generations are recorded under the key
        Assert.Contains(locked.Files, f => f.Kind == "table" && f.KeyId == 0 && !f.Sealed); // the plaintext family's table
        Assert.All(locked.Files.Where(f => f.Kind is "log" or "manifest" or "key-registry"), f => Assert.True(f.Sealed, f.FileName));
        Assert.All(locked.LogFiles, l => Assert.True(l.Sealed));

        var info = DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key));
        Assert.False(info.Locked);
        Assert.Equal(11u, info.FormatVersion);
        var families = info.ColumnFamilies.ToDictionary(cf => cf.Name);
        var secretTables = families["secrets"].Levels.SelectMany(l => l.Files).ToList();
        Assert.NotEmpty(secretTables);
        Assert.True(families["secrets"].Encrypted);
        Assert.All(secretTables, t =>
        {
            Assert.True(t.Encrypted && t.KeyRangeHidden);
            Assert.Equal(1u, t.KeyGeneration);
            Assert.Empty(t.SmallestKey);
            Assert.Null(t.Error);
        });
        var plainTables = families["plain"].Levels.SelectMany(l => l.Files).ToList();
        Assert.All(plainTables, t => Assert.False(t.Encrypted || t.KeyRangeHidden));
        Assert.Contains(plainTables, t => controls.Any(c => c.AsSpan().SequenceEqual(t.SmallestKey)));
        Assert.DoesNotContain(secretTables, t => secrets.Any(s => s.AsSpan().SequenceEqual(t.SmallestKey)));

        Assert.Throws<EncryptionKeyException>(() => DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(EncryptionSupport.NewKey())));
    }

    [Fact]
    public void ListColumnFamilies_NeedsTheKeyOfAnEncryptedDatabase_AndIgnoresOneGivenForAPlainOne()
    {
        using var dir = new TempDir("enc-listcf");
        var (key, _, _) = Build(dir.Sub("enc"));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.ListColumnFamilies(dir.Sub("enc")));
        Assert.Equal(["default", "secrets", "plain"], LatticeDb.ListColumnFamilies(dir.Sub("enc"), EncryptionOptions.FromKey(key)));
        using (var db = LatticeDb.Open(dir.Sub("plain"), new DbOptions())) db.CreateColumnFamily("a");
        Assert.Equal(["default", "a"], LatticeDb.ListColumnFamilies(dir.Sub("plain"), EncryptionOptions.FromKey(key)));
    }

    [Fact]
    public void Verify_NeedsTheKey_AndAuthenticatesSealedLogRecords()
    {
        using var dir = new TempDir("enc-verify");
        var (key, _, _) = Build(dir.Path);
        Assert.Throws<EncryptionKeyException>(() => DatabaseVerifier.Verify(dir.Path));
        var healthy = DatabaseVerifier.Verify(dir.Path, EncryptionOptions.FromKey(key));
        Assert.True(healthy.IsHealthy, string.Join("\n", healthy.Problems.Select(p => p.Message)));
        Assert.True(healthy.TablesChecked >= 2 && healthy.EntriesChecked >= 400, $"{healthy.TablesChecked} tables, {healthy.EntriesChecked} entries");

        // A byte of a sealed record flipped, and its log checksum made to match: only the seal can tell.
        string log = Directory.EnumerateFiles(dir.Path, "*.log").OrderBy(f => f, StringComparer.Ordinal).Last();
        LogLayout.CorruptFirstPayloadKeepingChecksum(log, payloadOffset: 40);
        var damaged = DatabaseVerifier.Verify(dir.Path, EncryptionOptions.FromKey(key));
        var problem = Assert.Single(damaged.Problems);
        Assert.Equal(VerifyProblemKind.LogDamaged, problem.Kind);
        Assert.Contains("does not authenticate", problem.Message, StringComparison.Ordinal);
    }

#pragma warning disable LKVEXP001 // the file dumper is experimental
    [Fact]
    public void Dump_SealedFiles_WithoutKeyShowNothing_WithKeyDecrypt_InLostToo()
    {
        using var dir = new TempDir("enc-dump");
        var (key, secrets, _) = Build(dir.Path);
        var info = DatabaseInspector.Inspect(dir.Path, EncryptionOptions.FromKey(key));
        var table = info.ColumnFamilies.Single(cf => cf.Name == "secrets").Levels.SelectMany(l => l.Files).First();
        string tablePath = Path.Combine(dir.Path, table.FileName);
        string logPath = Path.Combine(dir.Path, info.LogFiles[^1].FileName);

        foreach (var file in new[] { tablePath, logPath })
        {
            var entries = new List<DumpEntry>();
            var hidden = FileDumper.Dump(file, entries.Add);
            Assert.Empty(entries);
            Assert.True(hidden.Sealed && hidden.ContentsHidden is not null, file);
        }
        var tableEntries = new List<DumpEntry>();
        var shown = FileDumper.Dump(tablePath, tableEntries.Add, null, EncryptionOptions.FromKey(key));
        Assert.Null(shown.ContentsHidden);
        Assert.Equal((table.KeyId, 1u), (shown.KeyId, shown.KeyGeneration));
        Assert.Equal(table.Entries, tableEntries.Count);
        Assert.All(tableEntries, e => Assert.Contains(secrets, s => s.AsSpan().SequenceEqual(e.Key.Span)));
        var logEntries = new List<DumpEntry>();
        var logSummary = FileDumper.Dump(logPath, logEntries.Add, null, EncryptionOptions.FromKey(key));
        Assert.Equal(0, logSummary.Corruptions);
        Assert.Contains(logEntries, e => secrets.Any(s => s.AsSpan().SequenceEqual(e.Key.Span)));

        // A table moved to lost/ by a repair finds the registry one level up.
        Directory.CreateDirectory(Path.Combine(dir.Path, "lost"));
        string lost = Path.Combine(dir.Path, "lost", table.FileName);
        File.Copy(tablePath, lost);
        var lostEntries = new List<DumpEntry>();
        FileDumper.Dump(lost, lostEntries.Add, null, EncryptionOptions.FromKey(key));
        Assert.Equal(tableEntries.Count, lostEntries.Count);
    }
#pragma warning restore LKVEXP001
}
