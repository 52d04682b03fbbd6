using LatticeKV.Tests.Support;
using LatticeKV.Tool.Crash;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Merge;

/// <summary>
/// Sixteen writers merge Int64Add operands into shared balances while flushes and compactions
/// run and readers check every view they get (the workload of <see cref="MergeCrashChild"/>):
/// the pool is always the sum of a prefix of each thread's amounts (the prefix its counter says),
/// the accounts always sum to 0, and the final sums are exact.
/// </summary>
public class MergeConcurrencyTests(ITestOutputHelper output)
{
    private const int Writers = 16;

    [Fact]
    public void SixteenWriters_SharedBalances_ReadersNeverSeeHalfMergedState()
    {
        using var dir = new TempDir("merge-conc");
        int seed = TestSeed.Get(1616);
        int batches = 250 * TestSeed.Scale;
        output.WriteLine($"seed={seed} writers={Writers} batches={batches}");
        using var db = LatticeDb.Open(dir.Path, MergeCrashChild.Options());
        int writersLeft = Writers;
        long checks = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = new List<Thread>();
        for (int t = 0; t < Writers; t++)
        {
            int thread = t;
            threads.Add(new Thread(() =>
            {
                var rnd = new Random(seed * 31 + thread);
                var batch = new WriteBatch();
                try
                {
                    for (long i = 1; i <= batches; i++)
                    {
                        MergeCrashChild.FillBatch(batch, thread, i, rnd);
                        db.Write(batch);
                    }
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"writer {thread}: {ex}");
                }
                finally
                {
                    Interlocked.Decrement(ref writersLeft);
                }
            }));
        }
        for (int r = 0; r < 2; r++)
        {
            bool scan = r == 1;
            threads.Add(new Thread(() =>
            {
                try
                {
                    do
                    {
                        string? problem = scan ? CheckScan(db) : CheckSnapshot(db);
                        if (problem is not null) failures.Enqueue(problem);
                        Interlocked.Increment(ref checks);
                    }
                    while (Volatile.Read(ref writersLeft) > 0 && failures.IsEmpty);
                }
                catch (Exception ex)
                {
                    failures.Enqueue($"reader: {ex}");
                }
            }));
        }
        threads.Add(new Thread(() =>
        {
            try
            {
                for (int round = 0; Volatile.Read(ref writersLeft) > 0; round++)
                {
                    if (round % 4 == 3) db.CompactRange();
                    else db.Flush();
                }
            }
            catch (Exception ex)
            {
                failures.Enqueue($"flusher: {ex}");
            }
        }));
        foreach (var th in threads) th.Start();
        foreach (var th in threads) th.Join();
        Assert.True(failures.IsEmpty, $"seed={seed}: " + string.Join("\n", failures));
        output.WriteLine($"{Interlocked.Read(ref checks)} reader checks");
        Assert.True(checks > 2);

        long expected = 0;
        for (int t = 0; t < Writers; t++)
        {
            Assert.Equal(batches, MergeCrashChild.ReadI64(db, MergeCrashChild.Counter(t)));
            for (long i = 1; i <= batches; i++) expected += MergeCrashChild.Amount(t, i);
        }
        Assert.Equal(expected, MergeCrashChild.ReadI64(db, MergeCrashChild.Pool));
        db.CompactRange();
        Assert.Equal(expected, MergeCrashChild.ReadI64(db, MergeCrashChild.Pool));
        Assert.Null(CheckSnapshot(db));
    }

    private static long PrefixSum(int thread, long count)
    {
        long sum = 0;
        for (long i = 1; i <= count; i++) sum += MergeCrashChild.Amount(thread, i);
        return sum;
    }

    /// <summary>Point reads at one snapshot.</summary>
    private static string? CheckSnapshot(LatticeDb db)
    {
        using var snap = db.GetSnapshot();
        var at = new ReadOptions { Snapshot = snap };
        long expectedPool = 0;
        for (int t = 0; t < Writers; t++) expectedPool += PrefixSum(t, MergeCrashChild.ReadI64(db, MergeCrashChild.Counter(t), at));
        long pool = MergeCrashChild.ReadI64(db, MergeCrashChild.Pool, at);
        if (pool != expectedPool) return $"snapshot: pool {pool}, the counters say {expectedPool}";
        long accounts = 0;
        for (int a = 0; a < MergeCrashChild.Accounts; a++) accounts += MergeCrashChild.ReadI64(db, MergeCrashChild.Account(a), at);
        return accounts == 0 ? null : $"snapshot: accounts sum to {accounts}";
    }

    /// <summary>One backward scan of everything (an iterator is its own snapshot).</summary>
    private static string? CheckScan(LatticeDb db)
    {
        long accounts = 0, pool = 0, expectedPool = 0;
        using var it = db.NewIterator();
        for (it.SeekToLast(); it.Valid; it.Prev())
        {
            string key = System.Text.Encoding.ASCII.GetString(it.Key);
            long value = BitConverter.ToInt64(it.Value);
            if (key.StartsWith("acct/", StringComparison.Ordinal)) accounts += value;
            else if (key == "pool") pool = value;
            else expectedPool += PrefixSum(int.Parse(key.AsSpan(6), System.Globalization.CultureInfo.InvariantCulture), value);
        }
        if (pool != expectedPool) return $"scan: pool {pool}, the counters say {expectedPool}";
        return accounts == 0 ? null : $"scan: accounts sum to {accounts}";
    }
}
