using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Db;

/// <summary>
/// Real process crashes: a child process writes whole-group batches from several threads with
/// flushes and compactions running, and is killed with SIGKILL at random moments. After each
/// kill the database must open and hold every acknowledged batch, with no batch half-applied.
/// CI runs at least 20 kills within two minutes; LKV_LONG=1 runs ten times as many.
/// </summary>
public class CrashTests(ITestOutputHelper output)
{
    private static string ChildAssembly => Path.Combine(AppContext.BaseDirectory, "lkv.dll");

    [Fact]
    public void ChildKilledRepeatedly_UnsyncedWrites_EveryAcknowledgedBatchSurvives()
    {
        using var dir = new TempDir("crash");
        int seed = TestSeed.Get(4242);
        int cycles = 22 * TestSeed.Scale;
        var harness = new CrashHarness(dir.Path, seed, ChildAssembly) { Log = output.WriteLine };
        var report = harness.Run(cycles, TimeSpan.FromMinutes(2) * TestSeed.Scale);
        output.WriteLine($"seed={seed}: {report.Cycles} kills, {report.BatchesAcked} batches acknowledged, {report.BatchesInFlightAtKill} in flight at kills, {report.GroupsChecked} groups checked");
        Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
        Assert.True(report.Cycles >= 20, $"only {report.Cycles} kill cycles fitted in the time budget");
        Assert.True(report.BatchesAcked > report.Cycles, "the child barely wrote anything between kills");
    }

    [Fact]
    public void ChildKilledRepeatedly_SyncedWrites_EveryAcknowledgedBatchSurvives()
    {
        using var dir = new TempDir("crash-sync");
        int seed = TestSeed.Get(4343);
        var harness = new CrashHarness(dir.Path, seed, ChildAssembly) { Sync = true, Threads = 8, Log = output.WriteLine };
        var report = harness.Run(5 * TestSeed.Scale, TimeSpan.FromMinutes(1));
        output.WriteLine($"seed={seed}: {report.Cycles} kills, {report.BatchesAcked} synced batches acknowledged");
        Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
    }
}
