using System.Diagnostics;
using System.Text.Json;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary>README's three-replica walk-through, run as processes: identities, a server, two replicas syncing through it.</summary>
public sealed class LkvSyncTests
{
    private static string Identity(TempDir dir, string name)
    {
        var r = Lkv.Run("sync-identity", "--name", name, "--out", dir.Sub("keys"), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("peer_id").GetString()!;
    }

    private static LkvResult Ok(params string[] args)
    {
        var r = Lkv.Run(args);
        Assert.True(r.ExitCode == 0, r.ToString());
        return r;
    }

    [Fact]
    public void Walkthrough_ServeAndSync_CarriesWritesBetweenReplicas_AndAStrangerIsRefused()
    {
        using var dir = new TempDir("lkv-sync");
        string server = Identity(dir, "server"), laptop = Identity(dir, "laptop"), phone = Identity(dir, "phone");
        Identity(dir, "stranger");
        string Key(string name) => Path.Combine(dir.Sub("keys"), name + ".key.pem");
        Ok("put", dir.Sub("server"), "hello", "from the server", "--cf", "notes", "--replicated", "--create");
        var psi = Lkv.StartInfo("serve", dir.Sub("server"), "--listen", "127.0.0.1:0", "--identity", Key("server"), "--trust", laptop, "--trust", phone);
        using var serve = Process.Start(psi)!;
        try
        {
            string line = serve.StandardOutput.ReadLine() ?? throw new Xunit.Sdk.XunitException("serve printed nothing: " + serve.StandardError.ReadToEnd());
            Assert.StartsWith("listening on 127.0.0.1:", line, StringComparison.Ordinal);
            string address = line.Split(' ')[2];

            Ok("put", dir.Sub("laptop"), "acct/1", "100", "--cf", "notes", "--replicated", "--create");
            Assert.Contains("received 1 changes, sent 1", Ok("sync", dir.Sub("laptop"), "--peer", address, "--peer-id", server, "--identity", Key("laptop")).Stdout, StringComparison.Ordinal);
            Ok("put", dir.Sub("phone"), "draft", "phone", "--cf", "notes", "--replicated", "--create");
            Ok("sync", dir.Sub("phone"), "--peer", $"{address}@{server}", "--identity", Key("phone"));
            Assert.Equal("100", Ok("get", dir.Sub("phone"), "acct/1", "--cf", "notes").Stdout.Trim());
            Assert.Equal("from the server", Ok("get", dir.Sub("phone"), "hello", "--cf", "notes").Stdout.Trim());
            Ok("sync", dir.Sub("laptop"), "--peer", address, "--peer-id", server, "--identity", Key("laptop"));
            Assert.Equal("phone", Ok("get", dir.Sub("laptop"), "draft", "--cf", "notes").Stdout.Trim());

            var status = Ok("sync-status", dir.Sub("laptop")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(0, JsonDocument.Parse(Assert.Single(status)).RootElement.GetProperty("pending_changes").GetInt64());
            // History is bounded: what every known peer acknowledged may already be dropped (in the
            // background), and reading from before it then says so (exit 15) instead of skipping.
            var changes = Lkv.Run("changes", dir.Sub("laptop"));
            Assert.True(changes.ExitCode is 0 or 15, changes.ToString());
            if (changes.ExitCode == 0) Assert.Equal(3, changes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
            else Assert.Contains("were dropped", changes.Stderr, StringComparison.Ordinal);
            Assert.Equal("", Ok("conflicts", dir.Sub("laptop")).Stdout.Trim());

            // A replica the server does not trust is refused (exit 16) and receives nothing.
            Ok("put", dir.Sub("stranger"), "x", "y", "--cf", "notes", "--replicated", "--create");
            var refused = Lkv.Run("sync", dir.Sub("stranger"), "--peer", address, "--peer-id", server, "--identity", Key("stranger"));
            Assert.True(refused.ExitCode == 16, refused.ToString());
            Assert.Equal(1, Lkv.Run("get", dir.Sub("stranger"), "acct/1", "--cf", "notes").ExitCode);
        }
        finally
        {
            serve.Kill();
            serve.WaitForExit();
        }
    }
}
