using System.Text;
using System.Text.Json;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Tool;

/// <summary><c>lkv events</c> run as a process: table, JSON, filters, tail and follow.</summary>
public sealed class LkvEventsTests
{
    private static void MakeEvents(string path, int flushes)
    {
        using var db = LatticeDb.Open(path);
        for (int f = 0; f < flushes; f++)
        {
            for (int i = 0; i < 10; i++) db.Put(Encoding.UTF8.GetBytes($"k{f}-{i}"), "v"u8);
            db.Flush();
        }
    }

    [Fact]
    public void Events_PrintsTableAndFilteredJson()
    {
        using var dir = new TempDir("lkv-events");
        MakeEvents(dir.Path, 3);
        var table = Lkv.Run("events", dir.Path);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("FlushCompleted", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("6 event(s)", table.Stdout, StringComparison.Ordinal);

        var json = Lkv.Run("events", dir.Path, "--json", "--kind", "FlushCompleted", "--tail", "2");
        Assert.True(json.ExitCode == 0, json.ToString());
        var lines = json.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal("FlushCompleted", doc.RootElement.GetProperty("kind").GetString());
            Assert.True(doc.RootElement.GetProperty("fields").GetProperty("output_file").GetInt64() > 0);
        }
        var future = Lkv.Run("events", dir.Path, "--json", "--since", "2999-01-01T00:00:00Z");
        Assert.Equal("", future.Stdout);
        Assert.Equal(2, Lkv.Run("events", dir.Path, "--since", "yesterday-ish").ExitCode);
    }

    [Fact]
    public void Events_Follow_PrintsWhatIsAppendedMeanwhile()
    {
        using var dir = new TempDir("lkv-events-follow");
        MakeEvents(dir.Path, 1);
        var psi = Lkv.StartInfo("events", dir.Path, "--follow", "--json", "--count", "4", "--timeout", "60");
        using var process = System.Diagnostics.Process.Start(psi)!;
        var stdout = new List<string>();
        using var firstTwo = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout)
            {
                stdout.Add(e.Data);
                if (stdout.Count == 2) firstTwo.Set();
            }
        };
        process.BeginOutputReadLine();
        Assert.True(firstTwo.Wait(TimeSpan.FromSeconds(60)), "the existing events were not printed");
        MakeEvents(dir.Path, 1); // appended while lkv follows
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "lkv events --follow did not stop after --count");
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        lock (stdout)
        {
            Assert.Equal(4, stdout.Count);
            Assert.Equal(["FlushBegun", "FlushCompleted", "FlushBegun", "FlushCompleted"],
                stdout.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("kind").GetString()));
        }
    }
}
