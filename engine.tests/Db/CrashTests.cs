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
    private static string ChildAssembly => Lkv.Assembly;

    [Fact]
    public void ChildKilledRepeatedly_UnsyncedWrites_EveryAcknowledgedBatchSurvives()
    {
        using var dir = new TempDir("crash");
        int seed = TestSeed.Get(4242);
        int cycles = 22 * TestSeed.Scale;
        var harness = new CrashHarness(dir.Path, seed, ChildAssembly) { Log = output.WriteLine };
        // Two runs of one harness: the second continues on the same database with the expected
        // state carried over (lkv torture alternates kill rounds with power-cut rounds this way).
        var first = harness.Run(cycles / 2, TimeSpan.FromMinutes(1) * TestSeed.Scale);
        Assert.True(first.Ok, $"seed={seed}: " + string.Join("\n", first.Violations));
        var second = harness.Run(cycles - first.Cycles, TimeSpan.FromMinutes(1) * TestSeed.Scale);
        var report = new CrashReport(first.Cycles + second.Cycles, first.OperationsAcked + second.OperationsAcked,
            first.OperationsInFlightAtKill + second.OperationsInFlightAtKill, second.GroupsChecked, second.Violations);
        output.WriteLine($"seed={seed}: {report.Cycles} kills, {report.OperationsAcked} batches acknowledged, {report.OperationsInFlightAtKill} in flight at kills, {report.GroupsChecked} groups checked");
        Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
        Assert.True(report.Cycles >= 20, $"only {report.Cycles} kill cycles fitted in the time budget");
        Assert.True(report.OperationsAcked > report.Cycles, "the child barely wrote anything between kills");
    }

    [Fact]
    public void PowerCutsUnderConcurrentWrites_SyncedWritesSurviveAndGroupsStayWhole()
    {
        int seed = TestSeed.Get(4444);
        var report = new PowerLossTorture(seed) { Log = output.WriteLine }.Run(40 * TestSeed.Scale, TimeSpan.FromSeconds(30) * TestSeed.Scale);
        output.WriteLine($"seed={seed}: {report.Cycles} power cuts, {report.Operations} writes ({report.SyncedOperations} synced)");
        Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
        Assert.True(report.Cycles >= 10, $"only {report.Cycles} power cuts fitted in the budget");
        Assert.True(report.SyncedOperations > report.Cycles, "too few synced writes to test anything");
    }

    [Fact]
    public void LkvTorture_ShortRun_PrintsSummaryAndSucceeds()
    {
        var result = Lkv.Run(["torture", "--minutes", "0.25", "--seed", "77", "--mode", "both"], timeout: TimeSpan.FromMinutes(3));
        output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("kill cycles (SIGKILL)", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("passed: no acknowledged write lost", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_WhileAnotherProcessHasTheDatabase_ThrowsDbLockedThenSucceedsAfterItDies()
    {
        using var dir = new TempDir("lock");
        var psi = Lkv.StartInfo("crash-child", dir.Path, "--threads", "1");
        using var child = System.Diagnostics.Process.Start(psi)!;
        try
        {
            // The child prints a line per batch once its database is open.
            Assert.NotNull(child.StandardOutput.ReadLine());
            var ex = Assert.Throws<DbLockedException>(() => LatticeDb.Open(dir.Path));
            Assert.Equal(Path.GetFullPath(dir.Path), ex.DbPath);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        using var db = LatticeDb.Open(dir.Path); // the kernel released the lock with the process
        Assert.NotNull(db.GetColumnFamily("cf1"));
    }

    [Fact]
    public void ChildKilledRepeatedly_SyncedWrites_EveryAcknowledgedBatchSurvives()
    {
        using var dir = new TempDir("crash-sync");
        int seed = TestSeed.Get(4343);
        var harness = new CrashHarness(dir.Path, seed, ChildAssembly) { Sync = true, Threads = 8, Log = output.WriteLine };
        var report = harness.Run(5 * TestSeed.Scale, TimeSpan.FromMinutes(1));
        output.WriteLine($"seed={seed}: {report.Cycles} kills, {report.OperationsAcked} synced batches acknowledged");
        Assert.True(report.Ok, $"seed={seed}: " + string.Join("\n", report.Violations));
    }
}
