using System.Text.Json;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>
/// lkv on encrypted databases, run as processes: the key options and exit code 8, what inspect
/// and dump show with and without the key (never a key or value of an encrypted family), repair,
/// rekey, shred, change-passphrase, and torture --encrypt.
/// </summary>
public sealed class LkvEncryptionTests(EncryptedDatabase enc) : IClassFixture<EncryptedDatabase>
{
    private string[] Key => ["--key-file", enc.KeyFile];

    private static void AssertNoSentinel(string output, IEnumerable<byte[]> sentinels, string what)
    {
        int found = EncryptionSupport.CountFoundInText(output, sentinels);
        Assert.True(found == 0, $"{found} sentinels of encrypted families in the output of {what}:\n{output}");
    }

    private static LkvResult Ok(params string[] args)
    {
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    [Fact]
    public void Inspect_WithAndWithoutKey_ShowsEncryptionButNoSentinel()
    {
        using var dir = new TempDir("lkv-enc-inspect");
        foreach (var key in new[] { Key, [] })
        {
            // auto prints random bytes as hex, so hex and base64 cover every form a key can take.
            foreach (var format in new[] { "hex", "base64" })
            {
                string html = dir.Sub($"report-{key.Length}-{format}.html");
                var text = Ok(["inspect", enc.Path, "-f", format, .. key]);
                var json = Ok(["inspect", enc.Path, "--json", "-f", format, "--html", html, .. key]);
                AssertNoSentinel(text.Stdout + text.Stderr, enc.Secrets, "inspect " + format);
                AssertNoSentinel(json.Stdout, enc.Secrets, "inspect --json " + format);
                AssertNoSentinel(File.ReadAllText(html), enc.Secrets, "inspect --html " + format);
            }
        }

        var locked = Ok("inspect", enc.Path);
        Assert.Contains("no key given", locked.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.sst\s.*encrypted \(key \d+\)", locked.Stdout);
        using (var doc = JsonDocument.Parse(Ok("inspect", enc.Path, "--json").Stdout))
        {
            var root = doc.RootElement;
            Assert.True(root.GetProperty("locked").GetBoolean());
            Assert.Equal(0, root.GetProperty("column_families").GetArrayLength());
            Assert.Contains(root.GetProperty("files").EnumerateArray(), f => f.GetProperty("kind").GetString() == "table" && f.GetProperty("key_id").ValueKind == JsonValueKind.Number);
        }

        var unlocked = Ok(["inspect", enc.Path, .. Key]);
        Assert.Matches(@"\d+\.sst\s.*encrypted \(key \d+, generation 1\)", unlocked.Stdout);
        using (var doc = JsonDocument.Parse(Ok(["inspect", enc.Path, "--json", .. Key]).Stdout))
        {
            var families = doc.RootElement.GetProperty("column_families").EnumerateArray().ToDictionary(cf => cf.GetProperty("name").GetString()!);
            var secretTables = families["secrets"].GetProperty("levels").EnumerateArray().SelectMany(l => l.GetProperty("tables").EnumerateArray()).ToList();
            Assert.NotEmpty(secretTables);
            Assert.All(secretTables, t => Assert.Equal(JsonValueKind.Null, t.GetProperty("smallest_key").ValueKind));
            Assert.All(secretTables, t => Assert.Equal(1, t.GetProperty("key_generation").GetInt32()));
            // The scan works: the plaintext family's key ranges are shown, and found.
            Assert.False(families["plain"].GetProperty("encrypted").GetBoolean());
            Assert.True(EncryptionSupport.CountFoundInText(doc.RootElement.GetRawText(), enc.Controls) > 0, "the plaintext family's key ranges are shown");
        }
    }

    [Fact]
    public void Dump_WithoutKey_ShowsNoSentinel_WithKeyDecryptsEverything()
    {
        var locked = Ok("dump", enc.Path);
        AssertNoSentinel(locked.Stdout, enc.Secrets, "dump");
        Assert.Contains("contents not shown", locked.Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"cf [01] (PUT|DELETE)", locked.Stdout); // default and secrets: sealed
        Assert.Matches(@"cf 2 PUT", locked.Stdout); // plain: its own plaintext tables
        AssertNoSentinel(Ok("dump", enc.Path, "--json", "-f", "hex").Stdout, enc.Secrets, "dump --json");

        var open = Ok(["dump", enc.Path, "-f", "hex", .. Key]);
        Assert.Equal(enc.Secrets.Count, EncryptionSupport.CountFoundInText(open.Stdout, enc.Secrets));
        Assert.Matches(@"encrypted \(key \d+, generation 1\)", open.Stdout);
    }

    /// <summary>A wrong passphrase is exit code 8 for every command, and not one byte of the database changes.</summary>
    [Fact]
    public void WrongPassphraseFile_ExitsEight_AndChangesNoByte()
    {
        using var dir = new TempDir("lkv-enc-wrong");
        string path = dir.Sub("db");
        var kdf = PassphraseKdf.Pbkdf2Sha256();
        using (var db = LatticeDb.Open(path, new DbOptions { Encryption = EncryptionOptions.FromPassphrase("right one", kdf), DefaultColumnFamilyOptions = { Encrypted = true } }))
        {
            db.Put(TestDb.B("k"), TestDb.B("v"));
            db.Flush();
            db.Put(TestDb.B("k2"), TestDb.B("v2"));
        }
        string wrong = dir.Sub("wrong.txt"), newPass = dir.Sub("new.txt");
        File.WriteAllText(wrong, "wrong one\n");
        File.WriteAllText(newPass, "another\n");
        var before = DirectoryFingerprint.Of(path);
        string[][] commands =
        [
            ["get", path, "k"], ["put", path, "k", "x"], ["delete", path, "k"], ["scan", path], ["stats", path], ["compact", path],
            ["inspect", path], ["verify", path], ["repair", path], ["dump", path], ["rekey", path, "--cf", "default"],
            ["shred", path, "--cf", "default", "--yes"], ["change-passphrase", path, "--new-passphrase-file", newPass],
        ];
        foreach (var c in commands)
        {
            var r = Lkv.Run([.. c, "--passphrase-file", wrong]);
            LkvKeyValueTests.AssertUserError(r, 8);
            Assert.Contains("passphrase or key does not open", r.Stderr, StringComparison.Ordinal);
        }
        // No key at all: the commands that need one say so, with the same code.
        foreach (var c in new[] { commands[0], commands[1], commands[7], commands[8] })
        {
            var r = Lkv.Run(c);
            LkvKeyValueTests.AssertUserError(r, 8);
            Assert.Contains("is encrypted", r.Stderr, StringComparison.Ordinal);
        }
        Assert.Equal(before, DirectoryFingerprint.Of(path));
        // The right passphrase, from a file or the environment, opens it.
        File.WriteAllText(dir.Sub("right.txt"), "right one\r\n");
        Assert.Equal("v", Ok("get", path, "k", "--passphrase-file", dir.Sub("right.txt")).Stdout.TrimEnd());
        var env = Lkv.Run(["get", path, "k2"], environment: new Dictionary<string, string> { ["LKV_PASSPHRASE"] = "right one" });
        Assert.True(env.ExitCode == 0 && env.Stdout.TrimEnd() == "v2", env.ToString());
    }

    [Fact]
    public void KeyFile_RawOrHex_Opens_MalformedOrMissingIsExitEight()
    {
        using var dir = new TempDir("lkv-enc-keyfile");
        var (key, value) = (enc.Controls[0], enc.Controls[1]);
        string getPlain = "0x" + Convert.ToHexStringLower(key), expected = "0x" + Convert.ToHexStringLower(value);
        Assert.Equal(expected, Ok(["get", enc.Path, getPlain, "--cf", "plain", "-f", "hex", .. Key]).Stdout.TrimEnd());
        Assert.Equal(expected, Ok("get", enc.Path, getPlain, "--cf", "plain", "-f", "hex", "--key-file", enc.HexKeyFile).Stdout.TrimEnd());
        string shortKey = dir.Sub("short.bin");
        File.WriteAllBytes(shortKey, new byte[31]);
        var malformed = Lkv.Run("get", enc.Path, getPlain, "--key-file", shortKey);
        LkvKeyValueTests.AssertUserError(malformed, 8);
        Assert.Contains("32 raw bytes or 64 hex digits", malformed.Stderr, StringComparison.Ordinal);
        LkvKeyValueTests.AssertUserError(Lkv.Run("get", enc.Path, getPlain, "--key-file", dir.Sub("absent")), 8);
        LkvKeyValueTests.AssertUserError(Lkv.Run("get", enc.Path, getPlain, "--key-file", enc.WrongKeyFile), 8);
        LkvKeyValueTests.AssertUserError(Lkv.Run("get", enc.Path, getPlain, "--key-file", enc.KeyFile, "--passphrase-file", enc.KeyFile), 2);
        // Standard input, as the torture harness hands its children the key.
        var stdin = Lkv.Run(["get", enc.Path, getPlain, "--cf", "plain", "-f", "hex", "--key-file", "-"], File.ReadAllBytes(enc.KeyFile));
        Assert.True(stdin.ExitCode == 0 && stdin.Stdout.TrimEnd() == expected, stdin.ToString());
    }

    /// <summary>Repair needs the key, keeps every entry readable, and leaves no sentinel in any file, lost/ included.</summary>
    [Fact]
    public void Repair_EncryptedDatabase_KeepsTheDataAndWritesNoPlaintext()
    {
        using var dir = new TempDir("lkv-enc-repair");
        string path = enc.CopyTo(dir);
        foreach (var m in Directory.EnumerateFiles(path, "MANIFEST-*")) File.Delete(m);
        var before = DirectoryFingerprint.Of(path);
        LkvKeyValueTests.AssertUserError(Lkv.Run("repair", path), 8);
        LkvKeyValueTests.AssertUserError(Lkv.Run("repair", path, "--key-file", enc.WrongKeyFile), 8);
        Assert.Equal(before, DirectoryFingerprint.Of(path));

        var r = Ok(["repair", path, .. Key]);
        Assert.Contains("nothing was lost", r.Stdout, StringComparison.Ordinal);
        AssertNoSentinel(r.Stdout + r.Stderr, enc.Secrets, "repair");
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(path, "lost")));
        Assert.NotEmpty(Directory.EnumerateFiles(path, "KEYREGISTRY-*"));
        Assert.True(EncryptionSupport.CountFound(path, enc.Secrets) == 0, "found in " + EncryptionSupport.WhereFound(path, enc.Secrets));
        Assert.True(EncryptionSupport.CountFound(path, enc.Controls) > 0, "the scan finds the plaintext family's data");
        using var db = LatticeDb.OpenReadOnly(path, enc.Options);
        foreach (var cf in db.ColumnFamilies) Assert.Equal(enc.Expected[cf.Name], TestDb.Contents(db, cf));
    }

    /// <summary>
    /// Writing and compacting through lkv keeps the default family encrypted: lkv opens it with the
    /// family's stored options, since options left at their defaults would turn its encryption off
    /// and compaction would then rewrite its tables in plaintext.
    /// </summary>
    [Fact]
    public void PutAndCompact_KeepTheDefaultFamilyEncrypted()
    {
        using var dir = new TempDir("lkv-enc-put");
        string path = enc.CopyTo(dir);
        byte[] k = EncryptionSupport.Sentinel(), v = EncryptionSupport.Sentinel();
        Ok(["put", path, "0x" + Convert.ToHexStringLower(k), "0x" + Convert.ToHexStringLower(v), .. Key]);
        Ok(["compact", path, .. Key]);
        var all = enc.Secrets.Append(k).Append(v).ToList();
        Assert.True(EncryptionSupport.CountFound(path, all) == 0, "found in " + EncryptionSupport.WhereFound(path, all));
        var info = LatticeKV.Inspect.DatabaseInspector.Inspect(path, enc.Options.Encryption);
        var defaultTables = info.ColumnFamilies.Single(cf => cf.Name == "default").Levels.SelectMany(l => l.Files).ToList();
        Assert.NotEmpty(defaultTables);
        Assert.All(defaultTables, t => Assert.True(t.Encrypted, t.FileName));
        using var db = LatticeDb.OpenReadOnly(path, enc.Options);
        Assert.Equal(v, db.Get(k));
    }

    [Fact]
    public void Rekey_StartsANewGeneration_AndReportsBytesPerGeneration()
    {
        using var dir = new TempDir("lkv-enc-rekey");
        string path = enc.CopyTo(dir);
        var r = Ok(["rekey", path, "--cf", "secrets", "--compact", .. Key]);
        Assert.Contains("key generation 2", r.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"gen2=\d+", r.Stdout);
        Assert.DoesNotContain("gen1=", r.Stdout, StringComparison.Ordinal); // --compact rewrote every table
        LkvKeyValueTests.AssertUserError(Lkv.Run(["rekey", path, "--cf", "plain", .. Key]), 2);
        LkvKeyValueTests.AssertUserError(Lkv.Run("rekey", path), 2); // --cf is required
        using var db = LatticeDb.OpenReadOnly(path, enc.Options);
        Assert.Equal("2", db.GetProperty(db.GetColumnFamily("secrets"), "lattice.encryption.key-generation"));
        Assert.Equal(enc.Expected["secrets"], TestDb.Contents(db, db.GetColumnFamily("secrets")));
    }

    [Fact]
    public void Shred_NeedsYes_RejectsAScopeOfAnUnscopedFamily_AndEmptiesOnlyThatFamily()
    {
        using var dir = new TempDir("lkv-enc-shred");
        string path = enc.CopyTo(dir);
        var before = DirectoryFingerprint.Of(path);
        LkvKeyValueTests.AssertUserError(Lkv.Run(["shred", path, "--cf", "secrets", .. Key]), 2);
        var scope = Lkv.Run(["shred", path, "--cf", "secrets", "--scope", "tenant-1", "--yes", .. Key]);
        LkvKeyValueTests.AssertUserError(scope, 2);
        Assert.Contains("no EncryptionScope", scope.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, DirectoryFingerprint.Of(path));

        var r = Ok(["shred", path, "--cf", "secrets", "--yes", .. Key]);
        Assert.Contains("shredded", r.Stdout, StringComparison.Ordinal);
        using var db = LatticeDb.OpenReadOnly(path, enc.Options);
        Assert.Empty(TestDb.Contents(db, db.GetColumnFamily("secrets")));
        Assert.Equal(enc.Expected["default"], TestDb.Contents(db, db.DefaultColumnFamily));
        Assert.Equal(enc.Expected["plain"], TestDb.Contents(db, db.GetColumnFamily("plain")));
    }

    [Fact]
    public void ShredScope_DestroysOneScopeOfAScopedFamily_OpenedWithoutItsSelector()
    {
        using var dir = new TempDir("lkv-enc-shred-scope");
        string path = dir.Sub("db");
        var options = EncryptionSupport.Options(File.ReadAllBytes(enc.KeyFile));
        options.DefaultColumnFamilyOptions.EncryptionScope = key => key.IndexOf((byte)'/') is > 0 and int i ? key[..i] : default;
        using (var db = LatticeDb.Open(path, options))
        {
            for (int i = 0; i < 200; i++)
            {
                db.Put(TestDb.B($"alice/{i:D3}"), TestDb.B($"a{i}"));
                db.Put(TestDb.B($"bob/{i:D3}"), TestDb.B($"b{i}"));
            }
            db.Flush();
        }
        var r = Ok(["shred", path, "--cf", "default", "--scope", "alice", "--yes", .. Key]);
        Assert.Contains("scope shredded", r.Stdout, StringComparison.Ordinal);
        // Readable without the selector; written only with it.
        var get = Ok(["get", path, "bob/007", .. Key]);
        Assert.Contains("b7", get.Stdout, StringComparison.Ordinal);
        LkvKeyValueTests.AssertUserError(Lkv.Run(["put", path, "carol/1", "x", .. Key]), 2);
        using var reopened = LatticeDb.Open(path, options);
        Assert.Null(reopened.Get(TestDb.B("alice/007")));
        Assert.Equal("b7", TestDb.S(reopened.Get(TestDb.B("bob/007"))));
    }

    [Fact]
    public void ChangePassphrase_FromEnvironment_NewOneOpens_OldKeyNoLonger()
    {
        using var dir = new TempDir("lkv-enc-change");
        string path = enc.CopyTo(dir);
        LkvKeyValueTests.AssertUserError(Lkv.Run(["change-passphrase", path, .. Key]), 2); // no new passphrase given
        var r = Lkv.Run(["change-passphrase", path, .. Key], environment: new Dictionary<string, string> { ["LKV_NEW_PASSPHRASE"] = "a new passphrase" });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.DoesNotContain("a new passphrase", r.Stdout + r.Stderr, StringComparison.Ordinal);
        LkvKeyValueTests.AssertUserError(Lkv.Run(["scan", path, "--cf", "plain", .. Key]), 8);
        File.WriteAllText(dir.Sub("pass.txt"), "a new passphrase\n");
        var scan = Ok("scan", path, "--cf", "plain", "--passphrase-file", dir.Sub("pass.txt"));
        Assert.Equal(enc.Expected["plain"].Count, scan.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>Bounded runs of both modes on an encrypted database: the oracles hold, and the key is nowhere on disk.</summary>
    [Fact]
    public void TortureEncrypt_BoundedRuns_PassInBothModes()
    {
        using var dir = new TempDir("lkv-enc-torture");
        string work = dir.Sub("work");
        foreach (var (mode, counter) in new[] { ("kill", @"kill cycles \(SIGKILL\)"), ("power", "power cuts") })
        {
            var r = Lkv.Run(["torture", "--encrypt", "--minutes", "0.03", "--mode", mode, "--seed", "11", .. mode == "kill" ? ["--dir", work] : Array.Empty<string>()],
                timeout: TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Contains("encrypted", r.Stdout, StringComparison.Ordinal);
            // The summary table's row (the progress line above it also names the counter).
            var m = System.Text.RegularExpressions.Regex.Match(r.Stdout, counter + @"\s*│\s*([\d,]+)");
            Assert.True(m.Success && int.Parse(m.Groups[1].Value, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture) > 0,
                counter + "\n" + r);
        }
        string db = Path.Combine(work, "kill");
        Assert.NotEmpty(Directory.EnumerateFiles(db, "KEYREGISTRY-*"));
        Assert.Throws<EncryptionKeyException>(() => LatticeDb.OpenReadOnly(db));
        // The workload's keys of encrypted families (groups not in the last family) are in no file;
        // whole keys only, since one key's tail is another group's ("g00001/m0", "g00101/m0").
        var encryptedKeys = Enumerable.Range(0, 400).Where(g => g % 3 != 2)
            .SelectMany(g => Enumerable.Range(0, 4).Select(m => LatticeKV.Tool.Crash.CrashProtocol.Key(g, m))).ToList();
        var files = Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "LOCK").ToList();
        var leaks = files.Where(f =>
        {
            var bytes = File.ReadAllBytes(f);
            return encryptedKeys.Any(k => bytes.AsSpan().IndexOf(k) >= 0);
        }).ToList();
        Assert.True(leaks.Count == 0, "workload keys of encrypted families in " + string.Join(", ", leaks));
    }
}
