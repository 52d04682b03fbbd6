using System.Diagnostics;
using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Merge;

/// <summary>
/// Real process kills (SIGKILL) of a child writing batches of merge operands (<see cref="MergeCrashChild"/>)
/// while it flushes and compacts: after each kill the reopened database holds every acknowledged
/// batch and each batch whole or not at all.
/// </summary>
public class MergeCrashTests(ITestOutputHelper output)
{
    private const int Threads = 4;

    [Fact]
    public void ChildKilledWhileMerging_BatchesAreAllOrNothingAfterRecovery()
    {
        using var dir = new TempDir("merge-crash");
        int seed = TestSeed.Get(1919);
        var rnd = new Random(seed);
        int cycles = 5 * TestSeed.Scale;
        output.WriteLine($"seed={seed} cycles={cycles}");
        long totalAcked = 0;
        var acked = new long[Threads]; // per thread, the last batch acknowledged (or found by the last check)
        for (int cycle = 0; cycle < cycles; cycle++)
        {
            int target = rnd.Next(100, 600);
            RunChildUntilKilled(dir.Path, seed + cycle, target, acked);
            totalAcked += target;
            using var db = LatticeDb.Open(dir.Path, MergeCrashChild.Options());
            long expectedPool = 0;
            for (int t = 0; t < Threads; t++)
            {
                long n = MergeCrashChild.ReadI64(db, MergeCrashChild.Counter(t));
                Assert.True(n >= acked[t], $"seed={seed} cycle {cycle}: thread {t} acknowledged batch {acked[t]} but the database holds {n}");
                Assert.True(n <= acked[t] + 1, $"seed={seed} cycle {cycle}: thread {t} holds {n} batches, acknowledged {acked[t]}, at most one in flight");
                acked[t] = n; // the next child continues from here
                for (long i = 1; i <= n; i++) expectedPool += MergeCrashChild.Amount(t, i);
            }
            Assert.Equal(expectedPool, MergeCrashChild.ReadI64(db, MergeCrashChild.Pool));
            long accounts = 0;
            for (int a = 0; a < MergeCrashChild.Accounts; a++) accounts += MergeCrashChild.ReadI64(db, MergeCrashChild.Account(a));
            Assert.Equal(0, accounts);
            // A scan merges the same way as the point reads.
            long scanned = 0;
            using (var it = db.NewIterator(new ReadOptions { IterateLowerBound = "acct/"u8.ToArray(), IterateUpperBound = "acct0"u8.ToArray() }))
                for (it.SeekToLast(); it.Valid; it.Prev()) scanned += BitConverter.ToInt64(it.Value);
            Assert.Equal(0, scanned);
        }
        output.WriteLine($"{totalAcked} batches acknowledged over {cycles} kills");
    }

    private static void Ack(string line, long[] acked)
    {
        var parts = line.Split(' ');
        // Each line reaches the pipe whole (one small write); a malformed one is a broken child.
        if (parts.Length != 3 || !int.TryParse(parts[1], out int t) || !long.TryParse(parts[2], out long i)) throw new FormatException($"bad child line '{line}'");
        acked[t] = Math.Max(acked[t], i);
    }

    /// <summary>Starts the child, waits for <paramref name="target"/> acknowledgements (its own output is the clock) and kills it.</summary>
    private static void RunChildUntilKilled(string path, int seed, int target, long[] acked)
    {
        var psi = Lkv.StartInfo("merge-crash-child", path, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--threads", Threads.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var child = Process.Start(psi)!;
        var stderr = child.StandardError.ReadToEndAsync();
        int count = 0;
        try
        {
            while (count < target && child.StandardOutput.ReadLine() is { } line)
            {
                if (!line.StartsWith("A ", StringComparison.Ordinal)) continue;
                Ack(line, acked);
                count++;
            }
        }
        finally
        {
            if (!child.HasExited) child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }
        Assert.True(count == target, $"the child stopped after {count} acknowledgements: {stderr.Result}");
        // Acknowledgements printed before the kill but not read yet count as well.
        foreach (var line in child.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            if (line.StartsWith("A ", StringComparison.Ordinal)) Ack(line, acked);
    }
}
