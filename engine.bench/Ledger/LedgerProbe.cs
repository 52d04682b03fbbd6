using System.Diagnostics;

namespace LatticeKV.Bench.Ledger;

/// <summary><c>ledger-probe</c>: where a newest-100 query's time and allocations go (for profiling).</summary>
public static class LedgerProbe
{
    public static int Run(string[] args)
    {
        long txns = Runner.CompareCommand.LongArg(args, "--txns", 100_000);
        int accounts = (int)Runner.CompareCommand.LongArg(args, "--accounts", 10_000);
        int rounds = (int)Runner.CompareCommand.LongArg(args, "--rounds", 5);
        bool clustered = args.Contains("--clustered");
        string dir = Path.Combine(Path.GetTempPath(), "lkv-ledger-probe-" + Environment.ProcessId);
        try
        {
            long cacheBytes = Runner.CompareCommand.LongArg(args, "--cache-mib", 256) << 20;
            using var store = new LatticeLedgerStore(dir, cacheBytes, eager: true, clustered) { MaterializeRows = args.Contains("--materialize") };
            var txs = LedgerData.Generate(txns, accounts).ToList();
            for (int i = 0; i < txs.Count; i += 10_000) store.Insert(txs.GetRange(i, Math.Min(10_000, txs.Count - i)));
            txs = null;
            store.Settle();
            for (int a = 0; a < accounts; a++) store.Newest(LedgerData.AccountName(a), 100);
            GC.Collect();
            Console.WriteLine($"loaded, settled and warmed; pid {Environment.ProcessId}");
            var rng = new Random(5);
            for (int round = 0; round < rounds; round++)
            {
                long alloc0 = GC.GetAllocatedBytesForCurrentThread();
                int gc0 = GC.CollectionCount(0);
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                const int n = 20_000;
                long rows = 0;
                for (int i = 0; i < n; i++) rows += store.Newest(LedgerData.AccountName(rng.Next(accounts)), 100);
                double us = sw.Elapsed.TotalMicroseconds / n;
                // CPU time of the whole process (the engine has no background work once settled): less
                // disturbed than wall time on a machine other processes share.
                double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / n;
                Console.WriteLine(store.CacheReport());
                Console.WriteLine($"round {round}: {us:N1} µs/query ({cpuUs:N1} µs CPU), {(GC.GetAllocatedBytesForCurrentThread() - alloc0) / n:N0} B/query, gen0 {GC.CollectionCount(0) - gc0}, rows {rows / (double)n:N1}");
            }
            if (!clustered && args.Contains("--ab")) AlternateWalks(store, accounts, rounds);
            if (!clustered) Console.WriteLine(store.ProbeParts(LedgerData.AccountName(17), 20_000));
            if (!clustered && args.Contains("--breakdown"))
                for (int i = 0; i < 3; i++) Console.WriteLine(store.ProbeBreakdown(accounts, 5_000, 100 + i));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    /// <summary>
    /// The query (<see cref="IndexIterator"/>) against the same walk written out one entry at a
    /// time, in alternating blocks of queries over the same accounts: both see the same machine,
    /// so their ratio is steadier than two processes' times (run 83 compared a read-ahead
    /// iterator with it).
    /// </summary>
    private static void AlternateWalks(LatticeLedgerStore store, int accounts, int rounds)
    {
        const int block = 2_000;
        var ratios = new List<double>();
        for (int round = 0; round < rounds; round++)
        {
            double query = 0, oneByOne = 0;
            for (int b = 0; b < 5; b++)
            {
                int seed = round * 100 + b;
                // Alternate which goes first, so neither always follows the other's cache state.
                if (b % 2 == 0)
                {
                    query += CpuOf(store, accounts, seed, block, false);
                    oneByOne += CpuOf(store, accounts, seed, block, true);
                }
                else
                {
                    oneByOne += CpuOf(store, accounts, seed, block, true);
                    query += CpuOf(store, accounts, seed, block, false);
                }
            }
            query /= 5 * block;
            oneByOne /= 5 * block;
            ratios.Add(query / oneByOne);
            Console.WriteLine($"ab round {round}: query {query:N1} µs CPU a query, one by one {oneByOne:N1} µs, ratio {query / oneByOne:N3}");
        }
        ratios.Sort();
        Console.WriteLine($"ab median ratio {ratios[ratios.Count / 2]:N3}");
    }

    private static double CpuOf(LatticeLedgerStore store, int accounts, int seed, int n, bool oneByOne)
    {
        var rng = new Random(seed);
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < n; i++)
        {
            string account = LedgerData.AccountName(rng.Next(accounts));
            if (oneByOne) store.NewestOneByOne(account, 100);
            else store.Newest(account, 100);
        }
        return (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds;
    }
}
