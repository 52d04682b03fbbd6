using System.Diagnostics;
using System.Text.Json;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv changes</c> run as a process: the change log as JSON lines, from a position, and following.</summary>
public sealed class LkvChangesTests
{
    private static void Populate(string path, int from, int count)
    {
        using var db = LatticeDb.Open(path);
        var cf = db.TryGetColumnFamily("ledger", out var h) ? h : db.CreateColumnFamily("ledger", new ColumnFamilyOptions { Replicated = true });
        for (int i = from; i < from + count; i++) db.Put(cf, B($"k{i}"), B($"v{i}"));
        db.Delete(cf, B($"k{from}"));
    }

    private static List<JsonElement> Lines(string stdout)
        => [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    [Fact]
    public void Changes_PrintsEveryChangeAsJson_FromAPosition_AndReportsATruncatedLog()
    {
        using var dir = new TempDir("lkv-changes");
        Populate(dir.Path, 0, 3);
        var all = Lkv.Run("changes", dir.Path);
        Assert.True(all.ExitCode == 0, all.ToString());
        var lines = Lines(all.Stdout);
        Assert.Equal(["put", "put", "put", "delete"], lines.Select(l => l.GetProperty("op").GetString()));
        Assert.Equal(["k0", "k1", "k2", "k0"], lines.Select(l => l.GetProperty("key").GetString()));
        Assert.Equal("v1", lines[1].GetProperty("value").GetString());
        Assert.Equal(JsonValueKind.Null, lines[3].GetProperty("value").ValueKind);
        Assert.Equal("ledger", lines[0].GetProperty("cf").GetString());

        string second = lines[1].GetProperty("position").GetUInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var rest = Lkv.Run("changes", dir.Path, "--since", second, "-n", "1");
        Assert.True(rest.ExitCode == 0, rest.ToString());
        Assert.Equal(["k2"], Lines(rest.Stdout).Select(l => l.GetProperty("key").GetString()));
    }

    [Fact]
    public void Changes_Follow_PrintsChangesCommittedAfterItStarted()
    {
        using var dir = new TempDir("lkv-changes-follow");
        Populate(dir.Path, 0, 2);
        var psi = Lkv.StartInfo("changes", dir.Path, "--follow");
        using var child = Process.Start(psi)!;
        try
        {
            var seen = new List<string>();
            string? Next() => child.StandardOutput.ReadLine();
            for (int i = 0; i < 3; i++) seen.Add(JsonDocument.Parse(Next()!).RootElement.GetProperty("key").GetString()!);
            // The follower holds the database only while it reads: a writer gets in between polls.
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    Populate(dir.Path, 10, 1);
                    break;
                }
                catch (DbLockedException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
                {
                    Thread.Yield();
                }
            }
            for (int i = 0; i < 2; i++) seen.Add(JsonDocument.Parse(Next()!).RootElement.GetProperty("key").GetString()!);
            Assert.Equal(["k0", "k1", "k0", "k10", "k10"], seen);
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }
}
