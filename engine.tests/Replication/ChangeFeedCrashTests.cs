using System.Collections.Concurrent;
using System.Globalization;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Replication;

/// <summary>
/// A child process writes batches to a replicated family from two threads (flushes and
/// compactions running) while consuming its own change feed, and is killed with SIGKILL after
/// a random number of acknowledged batches. After each kill: replaying the change log gives
/// exactly the data, each batch's changes are all there or none, every acknowledged batch is
/// there; and the consumer, resuming from the last position it printed, has seen every change
/// of the log exactly once, in order.
/// </summary>
public sealed class ChangeFeedCrashTests(ITestOutputHelper output)
{
    [Fact]
    public void ChildKilledWhileWritingAndConsuming_LogMatchesData_ConsumerResumesWithNoGapOrRepeat()
    {
        using var dir = new TempDir("changes-crash");
        int seed = TestSeed.Get(2002);
        var rnd = new Random(seed);
        int cycles = 6 * TestSeed.Scale;
        var acknowledged = new List<long>();
        var consumed = new List<ulong>();
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int target = rnd.Next(50, 500);
            ulong since = consumed.Count == 0 ? 0 : consumed[^1];
            var (acked, seen) = RunChildUntil(dir.Path, seed * 100 + cycle, firstId: (cycle + 1) * 1_000_000L, since, target);
            acknowledged.AddRange(acked);
            consumed.AddRange(seen);
            using var db = LatticeDb.Open(dir.Path, ChangeFeedChild.Options());
            var problems = ChangeFeedChild.Verify(db, acknowledged, out var changes);
            output.WriteLine($"seed={seed} cycle {cycle}: killed after {acked.Count} acknowledged batches (target {target}); {seen.Count} changes consumed; {changes.Count} in the log");
            Assert.True(problems.Count == 0, $"seed={seed} cycle {cycle}:\n" + string.Join("\n", problems.Take(20)));
            Assert.True(acked.Count > 0, $"seed={seed} cycle {cycle}: the child acknowledged nothing");
        }
        using (var db = LatticeDb.Open(dir.Path, ChangeFeedChild.Options()))
        {
            // The consumer's resumption: what it printed, then the rest of the log after its last position.
            var all = db.GetChanges(ChangeCursor.Beginning).Select(c => c.Position).ToList();
            var resumed = consumed.Concat(db.GetChanges(new ChangeCursor(consumed.Count == 0 ? 0 : consumed[^1])).Select(c => c.Position)).ToList();
            Assert.True(all.SequenceEqual(resumed), $"seed={seed}: the consumer saw {resumed.Count} changes ({resumed.Distinct().Count()} distinct), the log holds {all.Count}");
        }
    }

    private static (List<long> Acked, List<ulong> Consumed) RunChildUntil(string path, int seed, long firstId, ulong since, int target)
    {
        var acked = new ConcurrentQueue<long>();
        var consumed = new ConcurrentQueue<ulong>();
        KilledChild.RunUntil(["changes-child", path, "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--first-id", firstId.ToString(CultureInfo.InvariantCulture), "--since", since.ToString(CultureInfo.InvariantCulture)], line =>
        {
            if (line.StartsWith("C ", StringComparison.Ordinal)) consumed.Enqueue(ulong.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            if (!line.StartsWith("A ", StringComparison.Ordinal)) return false;
            acked.Enqueue(long.Parse(line.AsSpan(2), CultureInfo.InvariantCulture));
            return true;
        }, target);
        return ([.. acked], [.. consumed]);
    }
}
