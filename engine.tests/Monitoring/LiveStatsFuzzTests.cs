using System.Text;
using CsCheck;
using LatticeKV.Io;
using LatticeKV.Monitoring;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Monitoring;

/// <summary>
/// <c>LIVE-STATS</c> is written by another process and read by <c>lkv stats --watch</c>: whatever
/// it holds, the reader returns a snapshot its users can take apart (times that are dates,
/// intervals that are spans, maps that are there) or none, and never throws.
/// </summary>
public sealed class LiveStatsFuzzTests
{
    private static int Iterations => 2000 * TestSeed.Scale;

    private static void ReadOnly(byte[] bytes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(LiveStatsFile.PathOf(TestDb.DbPath), bytes);
        if (LiveStatsFile.TryRead(fs, TestDb.DbPath) is not { } stats) return;
        // What the dashboard does with a snapshot: none of it may throw.
        _ = DateTimeOffset.FromUnixTimeMilliseconds(stats.TimeMs);
        _ = TimeSpan.FromMilliseconds(stats.IntervalMs * 3.0);
        _ = stats.Counters.Sum(c => (double)c.Value) + stats.Extra.Sum(e => e.Value);
        foreach (var (_, family) in stats.Families) _ = family.Count;
    }

    private static byte[] Valid()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        LiveStatsFile.Write(fs, TestDb.DbPath, new LiveStats
        {
            TimeMs = 1_767_225_600_000,
            IntervalMs = 1000,
            ProcessId = 42,
            Counters = { ["write.keys"] = 10, ["get.calls"] = 5 },
            Families = { ["default"] = new Dictionary<string, long> { ["lattice.total-sst-files-size"] = 4096 } },
            Extra = { ["latency.get.p99"] = 12.5 },
        });
        return fs.ReadAllBytes(LiveStatsFile.PathOf(TestDb.DbPath));
    }

    [Theory]
    [InlineData("""{"version":1,"counters":null}""")]
    [InlineData("""{"version":1,"families":{"default":null}}""")]
    [InlineData("""{"version":1,"extra":null}""")]
    [InlineData("""{"version":1,"time_ms":9223372036854775807}""")]
    [InlineData("""{"version":1,"time_ms":-5}""")]
    [InlineData("""{"version":1,"interval_ms":9223372036854775807}""")]
    [InlineData("""{"version":1,"counters":{"a":"b"}}""")]
    [InlineData("""{"version":0}""")]
    [InlineData("""[1,2,3]""")]
    [InlineData("""{"version":1,"counters":{"a":1""")]
    public void HostileSnapshots_AreNotRead(string json)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(LiveStatsFile.PathOf(TestDb.DbPath), Encoding.UTF8.GetBytes(json));
        Assert.Null(LiveStatsFile.TryRead(fs, TestDb.DbPath));
    }

    [Fact]
    public void AValidSnapshot_IsRead()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory(TestDb.DbPath);
        fs.WriteAllBytesSynced(LiveStatsFile.PathOf(TestDb.DbPath), Valid());
        var stats = LiveStatsFile.TryRead(fs, TestDb.DbPath);
        Assert.NotNull(stats);
        Assert.Equal(10, stats.Counters["write.keys"]);
        Assert.Equal(4096, stats.Families["default"]["lattice.total-sst-files-size"]);
    }

    [Fact]
    public void RandomBytes_ReadSafelyOrNotAtAll()
        => Gen.Byte.Array[0, 400].Sample(ReadOnly, iter: Iterations, threads: 1);

    [Fact]
    public void MutatedSnapshots_ReadSafelyOrNotAtAll() => Mutations.Sample(Valid(), ReadOnly, Iterations);
}
