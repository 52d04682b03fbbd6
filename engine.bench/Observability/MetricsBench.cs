using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Observability;

/// <summary>
/// <c>metrics</c>: what the <c>LatticeKV</c> meter costs with a listener attached (issue 22, the
/// goal is at most 3%). fillrandom (16-byte keys in random order, 100-byte values, WAL on, no
/// sync, 64 MiB write buffer, fresh database), readrandom and seekrandom (seek then 10 next) on
/// a filled, flushed and compacted database, each without a listener and with one that
/// aggregates as OpenTelemetry does (<see cref="AggregatingListener"/>), alternated over the
/// rounds; the median and the ratio to the run without.
/// </summary>
public static class MetricsBench
{
    private const int ValueSize = 100;

    public static int Run(string[] args)
    {
        long num = CompareCommand.LongArg(args, "--num", 1_000_000);
        int rounds = (int)CompareCommand.LongArg(args, "--rounds", 3);
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-metrics-bench")));
        string outFile = CompareCommand.StringArg(args, "--out", "bench-metrics.txt");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        var order = Workloads.Permutation(num, 17);
        var value = new byte[ValueSize];
        new Random(5).NextBytes(value);
        string[] workloads = ["fillrandom", "readrandom", "seekrandom"];
        var rates = new Dictionary<(string Workload, bool Listener), List<double>>();
        foreach (var w in workloads)
            foreach (bool l in new[] { false, true }) rates[(w, l)] = [];
        Directory.CreateDirectory(root);
        try
        {
            string filled = Path.Combine(root, "filled");
            Fill(filled, order, value);
            using (var db = LatticeDb.Open(filled, Options())) db.CompactRange();
            // Untimed, so the first variant measured does not pay for the JIT.
            Measure("fillrandom", Path.Combine(root, "warm-up"), filled, order[..(int)Math.Min(order.Length, 20_000)], value, num);
            Measure("readrandom", null, filled, order, value, num);
            for (int round = 0; round < rounds; round++)
                foreach (var workload in workloads)
                    foreach (bool listener in new[] { round % 2 == 1, round % 2 == 0 })
                    {
                        using var attached = listener ? new AggregatingListener() : null;
                        double rate = Measure(workload, Path.Combine(root, $"fill-{round}-{listener}"), filled, order, value, num);
                        rates[(workload, listener)].Add(rate);
                    }
            var report = new StringBuilder();
            report.AppendLine(CultureInfo.InvariantCulture,
                $"# metrics bench: {num:N0} keys x {rounds} rounds, 16-byte keys, {ValueSize}-byte values; without and with a MeterListener aggregating the LatticeKV meter; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            report.AppendLine("| workload | ops/s without (median) | ops/s with listener (median) | with / without | rounds without | rounds with |");
            report.AppendLine("|---|---:|---:|---:|---|---|");
            foreach (var w in workloads)
            {
                double off = Median(rates[(w, false)]), on = Median(rates[(w, true)]);
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {w} | {off:N0} | {on:N0} | {on / off:0.000}x | {Join(rates[(w, false)])} | {Join(rates[(w, true)])} |");
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

    private static DbOptions Options() => new() { WriteBufferSize = 64 << 20 };

    /// <summary>Runs one workload; returns operations per second.</summary>
    private static double Measure(string workload, string? freshPath, string filled, long[] order, byte[] value, long num)
    {
        switch (workload)
        {
            case "fillrandom":
                double rate = Fill(freshPath!, order, value);
                Directory.Delete(freshPath!, recursive: true);
                return rate;
            case "readrandom":
                using (var db = LatticeDb.Open(filled, Options())) return Read(db, order.Length, num);
            default:
                using (var db = LatticeDb.Open(filled, Options())) return Seek(db, Math.Max(1, order.Length / 10), num);
        }
    }

    private static double Fill(string path, long[] order, byte[] value)
    {
        using var db = LatticeDb.Open(path, Options());
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < order.Length; i++)
        {
            KeyValueGenerator.Key(order[i], key);
            db.Put(key, value);
        }
        return order.Length / sw.Elapsed.TotalSeconds;
    }

    private static double Read(LatticeDb db, long count, long num)
    {
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var buffer = new byte[1024];
        var rnd = new Random(11);
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(rnd.NextInt64(num), key);
            if (!db.TryGet(key, buffer, out _)) throw new InvalidOperationException("a filled key is missing");
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    private static double Seek(LatticeDb db, long count, long num)
    {
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var rnd = new Random(7);
        using var it = db.NewIterator();
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < count; i++)
        {
            KeyValueGenerator.Key(rnd.NextInt64(num), key);
            it.Seek(key);
            for (int n = 0; n < 10 && it.Valid; n++) it.Next();
        }
        return count / sw.Elapsed.TotalSeconds;
    }

    private static string Join(List<double> xs) => string.Join(", ", xs.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)));

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
