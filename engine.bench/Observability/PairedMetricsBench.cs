using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Observability;

/// <summary>
/// <c>metrics-paired</c>: the meter's cost with a listener attached, measured so that this
/// machine's drift cancels. <c>metrics</c> compares whole runs seconds apart, whose spread on a
/// shared 2-core VM is larger than the 3% goal; here one open database serves many short slices of
/// the same workload, a listener attached for one slice of each adjacent pair and not the other
/// (which comes first alternates), and the figure is the median over pairs of the ratio within a
/// pair, with its interquartile range: a slow minute slows both sides of its pair. Wall time and
/// the process's CPU time (what the operations and the listener's collections cost, whatever
/// else runs on the machine) are reported side by side.
/// </summary>
public static class PairedMetricsBench
{
    private const int ValueSize = 100;

    public static int Run(string[] args)
    {
        long num = CompareCommand.LongArg(args, "--num", 1_000_000);
        int pairs = (int)CompareCommand.LongArg(args, "--pairs", 41);
        long slice = CompareCommand.LongArg(args, "--slice", 100_000);
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-metrics-paired")));
        string outFile = CompareCommand.StringArg(args, "--out", "bench-metrics-paired.txt");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        var value = new byte[ValueSize];
        new Random(5).NextBytes(value);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"# metrics-paired: {num:N0} keys, 16-byte keys, {ValueSize}-byte values; {pairs} pairs of slices of {slice:N0} operations, a MeterListener aggregating the LatticeKV meter attached in one slice of each pair (first in every other pair); {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
        report.AppendLine("| workload | pairs | with / without, wall (median of pairs) | interquartile range | with / without, process CPU (median) | interquartile range |");
        report.AppendLine("|---|---:|---:|---|---:|---|");
        Directory.CreateDirectory(root);
        try
        {
            // fillrandom: a fresh database's keys in random order, half-size slices one after the
            // other (the tree grows under both sides of every pair alike).
            long fillSlice = Math.Max(1, slice / 2);
            var order = Workloads.Permutation(pairs * 2 * fillSlice, 17);
            using (var fill = LatticeDb.Open(Path.Combine(root, "fill"), Options()))
            {
                long next = 0;
                var pairsOut = Pairs(pairs, () =>
                {
                    long end = Math.Min(order.Length, next + fillSlice);
                    Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
                    for (; next < end; next++)
                    {
                        KeyValueGenerator.Key(order[next], key);
                        fill.Put(key, value);
                    }
                });
                report.AppendLine(Row("fillrandom", pairsOut));
            }

            string filled = Path.Combine(root, "filled");
            using (var db = LatticeDb.Open(filled, Options()))
            {
                Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
                for (long i = 0; i < num; i++)
                {
                    KeyValueGenerator.Key(i, key);
                    db.Put(key, value);
                }
                db.CompactRange();
            }
            using (var db = LatticeDb.Open(filled, Options()))
            {
                var buffer = new byte[1024];
                var rnd = new Random(11);
                void Reads()
                {
                    Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
                    for (long i = 0; i < slice; i++)
                    {
                        KeyValueGenerator.Key(rnd.NextInt64(num), key);
                        if (!db.TryGet(key, buffer, out _)) throw new InvalidOperationException("a filled key is missing");
                    }
                }
                Reads(); // untimed: JIT and cache
                report.AppendLine(Row("readrandom", Pairs(pairs, Reads)));

                using var it = db.NewIterator();
                void Seeks()
                {
                    Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
                    for (long i = 0; i < slice / 10; i++)
                    {
                        KeyValueGenerator.Key(rnd.NextInt64(num), key);
                        it.Seek(key);
                        for (int n = 0; n < 10 && it.Valid; n++) it.Next();
                    }
                }
                Seeks();
                report.AppendLine(Row("seekrandom (seek + 10 next)", Pairs(pairs, Seeks)));
            }
            Console.Write(report);
            File.WriteAllText(outFile, report.ToString());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
        return 0;
    }

    private static DbOptions Options() => new() { CreateIfMissing = true, WriteBufferSize = 64 << 20 };

    /// <summary>Runs <paramref name="slice"/> twice per pair, once with a listener; the ratios (with ÷ without) of each pair's rates, by wall time and by process CPU time.</summary>
    private static (List<double> Wall, List<double> Cpu) Pairs(int pairs, Action slice)
    {
        var wall = new List<double>(pairs);
        var cpu = new List<double>(pairs);
        var process = Process.GetCurrentProcess();
        for (int p = 0; p < pairs; p++)
        {
            var on = default((double Wall, double Cpu));
            var off = default((double Wall, double Cpu));
            foreach (bool listener in new[] { p % 2 == 0, p % 2 != 0 })
            {
                using var attached = listener ? new AggregatingListener() : null;
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                slice();
                double seconds = sw.Elapsed.TotalSeconds;
                process.Refresh();
                double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
                if (listener) on = (seconds, cpuSeconds);
                else off = (seconds, cpuSeconds);
            }
            // Same operations on both sides: the ratio of rates is the inverse ratio of times.
            wall.Add(off.Wall / on.Wall);
            cpu.Add(off.Cpu / on.Cpu);
        }
        return (wall, cpu);
    }

    private static string Row(string workload, (List<double> Wall, List<double> Cpu) ratios)
        => string.Create(CultureInfo.InvariantCulture,
            $"| {workload} | {ratios.Wall.Count} | {Quantile(ratios.Wall, 0.5):0.000}x | {Quantile(ratios.Wall, 0.25):0.000}–{Quantile(ratios.Wall, 0.75):0.000} | {Quantile(ratios.Cpu, 0.5):0.000}x | {Quantile(ratios.Cpu, 0.25):0.000}–{Quantile(ratios.Cpu, 0.75):0.000} |");

    private static double Quantile(List<double> xs, double q)
    {
        var sorted = xs.Order().ToList();
        double at = q * (sorted.Count - 1);
        int lo = (int)Math.Floor(at), hi = (int)Math.Ceiling(at);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
    }
}
