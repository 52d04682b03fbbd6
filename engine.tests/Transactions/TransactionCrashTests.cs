using System.Collections.Concurrent;
using System.Globalization;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Transactions;

/// <summary>
/// A child process commits transfer transactions from four threads (optimistic and pessimistic)
/// with flushes and compactions running, and is killed with SIGKILL after a random number of
/// acknowledged commits. After each kill the database must open with every transfer wholly
/// applied or not at all (the records explain every balance) and every acknowledged transfer
/// present. The next child continues on the same database.
/// </summary>
public sealed class TransactionCrashTests(ITestOutputHelper output)
{
    [Fact]
    public void ChildKilledMidCommits_EveryCommitAllOrNothing_AcknowledgedOnesSurvive()
    {
        using var dir = new TempDir("txn-crash");
        int seed = TestSeed.Get(1904);
        var rnd = new Random(seed);
        int cycles = 10 * TestSeed.Scale;
        var acknowledged = new List<long>();
        int lastRecords = 0;
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int target = rnd.Next(50, 600);
            var acked = RunChildUntil(dir.Path, seed * 100 + cycle, firstId: (cycle + 1) * 1_000_000_000L, target);
            acknowledged.AddRange(acked);
            using var db = LatticeDb.Open(dir.Path, TransferChild.Options());
            var problems = TransferChild.Verify(db, acknowledged, out int records);
            output.WriteLine($"seed={seed} cycle {cycle}: killed after {acked.Count} acknowledged commits (target {target}); {records} transfers in the database");
            Assert.True(problems.Count == 0, $"seed={seed} cycle {cycle}:\n" + string.Join("\n", problems.Take(20)));
            Assert.True(records >= acknowledged.Count, $"seed={seed}: fewer records than acknowledged transfers");
            Assert.True(records > lastRecords, $"seed={seed} cycle {cycle}: the child committed nothing");
            lastRecords = records;
        }
    }

    /// <summary>Runs the child until it has acknowledged <paramref name="target"/> commits, kills it, and returns what it acknowledged.</summary>
    private static List<long> RunChildUntil(string path, int seed, long firstId, int target)
    {
        var acked = new ConcurrentQueue<long>();
        KilledChild.RunUntil(["transfer-child", path, "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--first-id", firstId.ToString(CultureInfo.InvariantCulture), "--threads", "4"], line =>
        {
            if (!line.StartsWith("A ", StringComparison.Ordinal)) return false;
            acked.Enqueue(long.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            return true;
        }, target);
        return [.. acked];
    }
}
