using System.Text;
using System.Text.Json;
using LatticeKV.Tests.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

public sealed class LkvMigrateTests
{
    private const int Accounts = 20_000;

    [Fact]
    public void Status_MigratedDatabase_ShowsEachFamilysVersion()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Migrations.Ledger.Create(path, 100);
        var result = Lkv.Run("migrate", path, "--status", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var versions = json.RootElement.GetProperty("versions");
        Assert.Equal(1, versions.GetProperty("accounts").GetInt32());
        Assert.Equal(0, versions.GetProperty("other").GetInt32());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("in_progress").ValueKind);
    }

    [Fact]
    public void Status_Killed_ShowsStepPositionAndEntries_ReadOnly()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Migrations.Ledger.Create(path, Accounts);
        KilledChild.RunUntil(["migrate-child", path], line => line.StartsWith("B ", StringComparison.Ordinal), 3);
        var before = DirectoryFingerprint.Of(path);
        var result = Lkv.Run("migrate", path, "--status");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("step 'split name'", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("entries done", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("position 6163636f756e74", result.Stdout, StringComparison.Ordinal); // "account" in hex
        Assert.Equal(before, DirectoryFingerprint.Of(path));
        var finish = Lkv.Run("migrate-child", path);
        Assert.True(finish.ExitCode == 0, finish.ToString());
        Assert.Contains("No migration in progress", Lkv.Run("migrate", path, "--status").Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_EncryptedDatabase_NeedsItsKeyAndShowsNoKeyBytes()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        var key = EncryptionSupport.NewKey();
        string keyFile = dir.Sub("key.bin");
        File.WriteAllBytes(keyFile, key);
        Migrations.Ledger.Create(path, Accounts, EncryptionSupport.Options(key, "accounts"));
        KilledChild.RunUntil(["migrate-child", path, "--key-file", keyFile], line => line.StartsWith("B ", StringComparison.Ordinal), 3);
        Assert.Equal(8, Lkv.Run("migrate", path, "--status").ExitCode); // ExitCodes.EncryptionKey
        var result = Lkv.Run("migrate", path, "--status", "--key-file", keyFile);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("step 'split name'", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("not shown", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("account/", result.Stdout + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(Encoding.UTF8.GetBytes("account/")), result.Stdout, StringComparison.Ordinal);
        var finish = Lkv.Run("migrate-child", path, "--key-file", keyFile);
        Assert.True(finish.ExitCode == 0, finish.ToString());
    }

    [Fact]
    public void Migrate_WithoutStatus_IsAUsageError()
    {
        using var dir = new TempDir();
        string path = dir.Sub("db");
        Migrations.Ledger.Create(path, 10);
        Assert.Equal(2, Lkv.Run("migrate", path).ExitCode);
    }
}
