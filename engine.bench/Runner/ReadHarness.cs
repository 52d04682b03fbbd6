using System.Diagnostics;
using System.Globalization;
using LatticeKV.Bench.Engines;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// <c>read-harness --engine E --db DIR --num N [--cache-mb M] [--seconds S] [--warm] [--seek]</c>: random
/// point reads of keys 0..N-1 on a database <c>run-suite --fill-kept</c> left, printing ops/s each
/// second: a steady loop to profile (perf) or to compare two builds side by side. With
/// <c>--seek</c>, each operation is seekrandom's instead: a seek to a random key and 10 entries read.
/// </summary>
public static class ReadHarness
{
    public static int Run(string[] args)
    {
        string engineName = CompareCommand.StringArg(args, "--engine", "latticekv");
        string db = CompareCommand.StringArg(args, "--db", "");
        long num = CompareCommand.LongArg(args, "--num", 1_000_000);
        int seconds = (int)CompareCommand.LongArg(args, "--seconds", 20);
        var settings = new EngineSettings(CompareCommand.LongArg(args, "--cache-mb", 256) << 20, 64L << 20, 0,
            CompareCommand.StringArg(args, "--read-api", "least") == "array" ? ReadApi.Array : ReadApi.LeastAllocating);
        using IEngine e = engineName switch
        {
            "latticekv" => new LatticeEngine(db, settings),
            "latticekv-enc" => new LatticeEngine(db, settings, encrypted: true),
            "rocksdb" => new RocksDbEngine(db, settings),
            "zonetree" => new ZoneTreeEngine(db, settings),
            _ => throw new ArgumentException($"unknown engine '{engineName}'"),
        };
        var buffer = new byte[1024];
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var rnd = new Random(99);
        bool seek = args.Contains("--seek");
        if (args.Contains("--warm"))
        {
            for (long i = 0; i < num; i++)
            {
                KeyValueGenerator.Key(i, key);
                e.Get(key, buffer);
            }
        }
        var rates = new List<double>();
        var cpuPerRead = new List<double>();
        var process = Process.GetCurrentProcess();
        var pause0 = GC.GetTotalPauseDuration();
        long alloc0 = GC.GetTotalAllocatedBytes();
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < seconds; s++)
        {
            long n = 0;
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 1000)
            {
                for (int i = 0; i < 256; i++)
                {
                    KeyValueGenerator.Key(rnd.NextInt64(num), key);
                    if (seek) e.Scan(key, 10);
                    else if (e.Get(key, buffer) < 0) throw new InvalidOperationException("a key that was written is missing");
                }
                n += 256;
            }
            rates.Add(n / sw.Elapsed.TotalSeconds);
            process.Refresh();
            // CPU time of the whole process: less disturbed than the rate by other processes on a shared machine.
            cpuPerRead.Add((process.TotalProcessorTime - cpu0).TotalMicroseconds / n);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{s + 1,3} s  {rates[^1]:N0} {(seek ? "seeks" : "reads")}/s  {cpuPerRead[^1]:F2} µs CPU/read  RSS {Environment.WorkingSet / 1e6:F0} MB  {MemoryLine()}"));
        }
        double gcShare = (GC.GetTotalPauseDuration() - pause0).TotalSeconds / clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"GC pauses {gcShare:P1} of the time; allocated {(GC.GetTotalAllocatedBytes() - alloc0) / clock.Elapsed.TotalSeconds / 1e6:F0} MB/s; collections {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}"));
        Console.WriteLine(MemoryLine());
        if (e is LatticeEngine le)
        {
            Console.WriteLine(string.Join(", ", le.Db.GetStatistics().Where(kv => kv.Key.StartsWith("block.cache", StringComparison.Ordinal)).Select(kv => $"{kv.Key} {kv.Value:N0}")));
            if (le.Db.Tables.Options.Tiers is { } tiers)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"compressed blocks' pool: holds {tiers.Buffers.Bytes / 1e6:F1} MB of {tiers.Buffers.Capacity / 1e6:F1}, {tiers.Buffers.AllocatedBytes / 1e6:F0} MB allocated, {tiers.Buffers.Allocations:N0} allocations since open"));
        }
        // The second half: the first fills the cache.
        var settled = rates.Skip(rates.Count / 2).Order().ToList();
        var settledCpu = cpuPerRead.Skip(cpuPerRead.Count / 2).Order().ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median of the second half {settled[settled.Count / 2]:N0} {(seek ? "seeks" : "reads")}/s, {settledCpu[settledCpu.Count / 2]:F2} µs CPU/read; peak RSS {ProcessStats.PeakRss() / 1e6:F0} MB"));
        return 0;
    }

    /// <summary>Where the resident memory is: the managed heap (and what of it is free space between objects) and the engine's off-heap arrays.</summary>
    private static string MemoryLine()
    {
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        return string.Create(CultureInfo.InvariantCulture,
            $"heap {gc.HeapSizeBytes / 1e6:F0} MB (fragmented {gc.FragmentedBytes / 1e6:F0}, committed {gc.TotalCommittedBytes / 1e6:F0}, gen2 {gc.GenerationInfo[2].SizeAfterBytes / 1e6:F0}, LOH {gc.GenerationInfo[3].SizeAfterBytes / 1e6:F0}) off-heap {LatticeKV.Io.OffHeap.Bytes / 1e6:F0} MB");
    }
}
