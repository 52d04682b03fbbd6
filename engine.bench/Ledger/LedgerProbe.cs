using System.Diagnostics;

namespace LatticeKV.Bench.Ledger;

/// <summary><c>ledger-probe</c>: where a newest-100 query's time and allocations go (for profiling).</summary>
public static class LedgerProbe
{
    public static int Run(string[] args)
    {
        long txns = Runner.CompareCommand.LongArg(args, "--txns", 100_000);
        string dir = Path.Combine(Path.GetTempPath(), "lkv-ledger-probe-" + Environment.ProcessId);
        try
        {
            using var store = new LatticeLedgerStore(dir, 256L << 20, eager: true);
            store.Insert(LedgerData.Generate(txns, 10_000).ToList());
            store.Settle();
            var rng = new Random(5);
            for (int round = 0; round < 5; round++)
            {
                long alloc0 = GC.GetAllocatedBytesForCurrentThread();
                int gc0 = GC.CollectionCount(0);
                var sw = Stopwatch.StartNew();
                const int n = 20_000;
                long rows = 0;
                for (int i = 0; i < n; i++) rows += store.Newest(LedgerData.AccountName(rng.Next(10_000)), 100);
                double us = sw.Elapsed.TotalMicroseconds / n;
                Console.WriteLine($"round {round}: {us:N1} µs/query, {(GC.GetAllocatedBytesForCurrentThread() - alloc0) / n:N0} B/query, gen0 {GC.CollectionCount(0) - gc0}, rows {rows / (double)n:N1}");
            }
            var parts = store.ProbeParts(LedgerData.AccountName(17), 20_000);
            Console.WriteLine(parts);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        return 0;
    }
}
