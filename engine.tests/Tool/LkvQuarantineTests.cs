using System.Text.Json;
using LatticeKV.Tests.Replication;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv quarantine</c> run as a process: the changes a validator refused, as JSON lines, and discarding one.</summary>
public sealed class LkvQuarantineTests
{
    [Fact]
    public void Quarantine_ListsRefusedChanges_AndDiscardsOne()
    {
        using var dir = new TempDir("lkv-quarantine");
        string target = dir.Sub("b");
        using (var source = LatticeDb.Open(dir.Sub("a")))
        using (var b = LatticeDb.Open(target))
        {
            source.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true });
            b.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Validator = ValueValidators.Json });
            source.Put(source.GetColumnFamily("docs"), B("ok"), B("{\"a\":1}"));
            source.Put(source.GetColumnFamily("docs"), B("broken"), B("{\"a\":"));
            InProcessSync.Pull(source, b);
        }

        var list = Lkv.Run("quarantine", target);
        Assert.True(list.ExitCode == 0, list.ToString());
        var line = JsonDocument.Parse(Assert.Single(list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("broken", line.GetProperty("key").GetString());
        Assert.Equal("{\"a\":", line.GetProperty("value").GetString());
        Assert.Equal("docs", line.GetProperty("cf").GetString());
        Assert.Equal("Put", line.GetProperty("operation").GetString());
        Assert.False(string.IsNullOrEmpty(line.GetProperty("reason").GetString()));
        string id = line.GetProperty("id").GetString()!;

        var discard = Lkv.Run("quarantine", target, "--discard", id);
        Assert.True(discard.ExitCode == 0, discard.ToString());
        var again = Lkv.Run("quarantine", target, "--discard", id);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains(id, again.Stderr);
        Assert.Equal("", Lkv.Run("quarantine", target).Stdout);
    }
}
