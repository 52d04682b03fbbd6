using System.Text.Json;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv sync-identity</c>, run as a process.</summary>
public class LkvSyncIdentityTests
{
    [Fact]
    public void SyncIdentity_NewName_WritesBothFilesAndPrintsThePeerIdButNotTheKey()
    {
        using var dir = new TempDir("lkv-sync-identity");
        string output = dir.Sub("ids");
        var r = Lkv.Run("sync-identity", "--name", "phone", "--out", output, "--days", "10");
        Assert.True(r.ExitCode == 0, r.ToString());
        string keyPath = Path.Combine(output, "phone.key.pem");
        string certPath = Path.Combine(output, "phone.crt.pem");
        using var identity = SyncIdentity.Load(keyPath);
        Assert.Contains(identity.PeerId, r.Stdout, StringComparison.Ordinal);
        Assert.Contains(keyPath, r.Stdout, StringComparison.Ordinal);
        Assert.Contains(certPath, r.Stdout, StringComparison.Ordinal);
        Assert.InRange(identity.NotAfter - DateTimeOffset.UtcNow, TimeSpan.FromDays(9), TimeSpan.FromDays(10));
        // Not a line of the key file's base64 body reaches the output.
        var keyLines = File.ReadAllLines(keyPath).SkipWhile(l => !l.Contains("PRIVATE KEY", StringComparison.Ordinal)).Where(l => !l.StartsWith("-----", StringComparison.Ordinal));
        foreach (var line in keyLines) Assert.DoesNotContain(line, r.Stdout + r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE", r.Stdout + r.Stderr, StringComparison.Ordinal);

        var again = Lkv.Run("sync-identity", "--name", "phone", "--out", output);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(identity.PeerId, SyncIdentity.PeerIdOf(certPath));
    }

    [Fact]
    public void SyncIdentity_Json_GivesPeerIdAndPaths()
    {
        using var dir = new TempDir("lkv-sync-identity");
        var r = Lkv.Run("sync-identity", "--name", "desk", "--out", dir.Path, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Stdout);
        string certPath = doc.RootElement.GetProperty("certificate_file").GetString()!;
        Assert.Equal(SyncIdentity.PeerIdOf(certPath), doc.RootElement.GetProperty("peer_id").GetString());
        Assert.True(File.Exists(doc.RootElement.GetProperty("key_file").GetString()));
    }

    [Theory]
    [InlineData("--days", "0")]
    [InlineData("--days", "99999999")]
    [InlineData("--name", "../escape")]
    public void SyncIdentity_BadArguments_ExitTwoAndWriteNothing(string option, string value)
    {
        using var dir = new TempDir("lkv-sync-identity");
        string output = dir.Sub("ids");
        string[] args = option == "--name" ? ["sync-identity", "--name", value, "--out", output] : ["sync-identity", "--name", "x", "--out", output, option, value];
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
    }
}
