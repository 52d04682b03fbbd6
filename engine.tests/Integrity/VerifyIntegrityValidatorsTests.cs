using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Cli;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Integrity;

/// <summary><see cref="LatticeDb.VerifyIntegrity"/> and <c>lkv verify --integrity</c> over stored validators: values written before a validator was set are found.</summary>
public sealed class VerifyIntegrityValidatorsTests
{
    private static readonly ValueCheck NonEmpty = (_, value) => value.Length > 0 ? null : "empty";

    /// <summary>"accounts" with <paramref name="bad"/> values that are not JSON among <paramref name="good"/> that are, written before the validator was set; then reopened with it.</summary>
    private static void Create(string path, int good, int bad, IValueValidator validator, DbOptions? options = null)
    {
        using (var db = LatticeDb.Open(path, options))
        {
            var accounts = db.CreateColumnFamily("accounts", new ColumnFamilyOptions { Encrypted = options?.Encryption is not null });
            for (int i = 0; i < good; i++) db.Put(accounts, B($"good/{i:D3}"), B("{}"));
            for (int i = 0; i < bad; i++) db.Put(accounts, B($"bad/{i:D3}"), B("not json"));
        }
        var reopen = options ?? new DbOptions();
        reopen.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Encrypted = options?.Encryption is not null, Validator = validator };
        using (LatticeDb.Open(path, reopen)) { }
    }

    [Fact]
    public void VerifyIntegrity_ValuesStoredBeforeTheValidator_ListedBoundedAndCounted()
    {
        using var dir = new TempDir();
        Create(dir.Path, good: 6, bad: 5, ValueValidators.Json);
        using var db = LatticeDb.Open(dir.Path);
        var report = db.VerifyIntegrity(maxListed: 3);
        Assert.Equal(5, report.ValidationViolationCount);
        Assert.Equal(["bad/000", "bad/001", "bad/002"], report.ValidationViolations.Select(v => S(v.Key)));
        Assert.True(report.ValidationTruncated);
        Assert.Equal(11, report.ValuesChecked);
        Assert.Equal("accounts", report.ValidationViolations[0].ColumnFamily);
        Assert.Equal("key 'bad/000'", report.ValidationViolations[0].KeyText);
        Assert.Equal(0, report.ViolationCount);
        Assert.False(report.IsConsistent);

        foreach (int i in Enumerable.Range(0, 5)) db.Delete(db.GetColumnFamily("accounts"), B($"bad/{i:D3}"));
        var clean = db.VerifyIntegrity();
        Assert.True(clean.IsConsistent, string.Join("; ", clean.ValidationViolations));
        Assert.Equal(6, clean.ValuesChecked);
    }

    [Fact]
    public void VerifyIntegrity_DelegateValidator_CheckedWhenGivenElseNotCheckable()
    {
        using var dir = new TempDir();
        using (var db = LatticeDb.Open(dir.Path))
        {
            var accounts = db.CreateColumnFamily("accounts");
            db.Put(accounts, B("a"), B("x"));
            db.Put(accounts, B("b"), []);
        }
        var validator = ValueValidators.FromDelegate("non-empty", NonEmpty);
        var options = new DbOptions();
        options.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Validator = validator };
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            var report = db.VerifyIntegrity();
            Assert.Equal("key 'b'", Assert.Single(report.ValidationViolations).KeyText);
            Assert.Empty(report.NotCheckable);
        }
        using (var db = LatticeDb.OpenReadOnly(dir.Path))
        {
            var report = db.VerifyIntegrity();
            Assert.Equal(0, report.ValidationViolationCount);
            Assert.Contains("delegate 'non-empty'", Assert.Single(report.NotCheckable));
            Assert.False(report.IsConsistent);
        }
    }

    [Fact]
    public void LkvVerifyIntegrity_StoredValidatorRefusesValues_ExitCode17AndListing()
    {
        using var dir = new TempDir("lkv-verify-validators");
        string path = dir.Sub("db");
        Create(path, good: 3, bad: 2, ValueValidators.Json);
        var json = Lkv.Run(["verify", path, "--integrity", "--json"]);
        Assert.True(json.ExitCode == ExitCodes.VerifyIntegrityViolated, json.ToString());
        Assert.Contains("\"validation_violation_count\": 2", json.Stdout);
        Assert.Contains("key 'bad/001'", json.Stdout);
        var table = Lkv.Run(["verify", path, "--integrity"]);
        Assert.True(table.ExitCode == ExitCodes.VerifyIntegrityViolated, table.ToString());
        Assert.Contains("refused by their family's validator", table.Stdout);

        using (var db = LatticeDb.Open(path))
            foreach (int i in Enumerable.Range(0, 2)) db.Delete(db.GetColumnFamily("accounts"), B($"bad/{i:D3}"));
        var healthy = Lkv.Run(["verify", path, "--integrity"]);
        Assert.True(healthy.ExitCode == ExitCodes.Ok, healthy.ToString());
        Assert.Contains("constraints hold", healthy.Stdout);
    }

    [Fact]
    public void LkvVerifyIntegrity_EncryptedFamily_ShowsNoKey()
    {
        using var dir = new TempDir("lkv-verify-validators-enc");
        string path = dir.Sub("db");
        var key = EncryptionSupport.NewKey();
        string keyFile = dir.Sub("key.bin");
        File.WriteAllBytes(keyFile, key);
        Create(path, good: 2, bad: 2, ValueValidators.Json, new DbOptions { Encryption = EncryptionOptions.FromKey(key) });
        var run = Lkv.Run(["verify", path, "--integrity", "--json", "--key-file", keyFile]);
        Assert.True(run.ExitCode == ExitCodes.VerifyIntegrityViolated, run.ToString());
        Assert.Contains("\"validation_violation_count\": 2", run.Stdout);
        Assert.DoesNotContain("bad/", run.Stdout + run.Stderr);
        Assert.DoesNotContain("not json", run.Stdout + run.Stderr);
    }
}
