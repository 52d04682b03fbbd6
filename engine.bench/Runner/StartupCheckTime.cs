using System.Diagnostics;
using System.Globalization;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// How long an open takes with each <see cref="StartupCheck"/> on a database of a given size
/// (default 1 GiB of tables): the database is filled once (or reused when <c>--dir</c> already
/// holds one), then opened with None, Quick and Full in turn, several rounds; the median of each
/// is reported with the time the check adds to an open that checks nothing. The page cache is
/// as the previous open left it (warm), as for a process restarting on the same machine.
/// </summary>
public static class StartupCheckTime
{
    public static int Run(string[] args)
    {
        int opens = (int)CompareCommand.LongArg(args, "--opens", 5);
        long targetBytes = CompareCommand.LongArg(args, "--mb", 1024) << 20;
        string? dir = CompareCommand.StringArg(args, "--dir", "") is { Length: > 0 } d ? d : null;
        bool temporary = dir is null;
        string path = dir ?? Path.Combine(Path.GetTempPath(), "lkv-startup-check-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            long tables = TableBytes(path);
            if (tables < targetBytes) Fill(path, targetBytes);
            tables = TableBytes(path);
            int count = Directory.EnumerateFiles(path, "*.sst").Count();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"database {path}: {count} tables, {tables / (1024.0 * 1024):F0} MiB; median of {opens} opens each"));
            var checks = new[] { StartupCheck.None, StartupCheck.Quick, StartupCheck.Full };
            var times = checks.ToDictionary(c => c, _ => new List<double>());
            for (int round = 0; round < opens; round++)
            {
                foreach (var check in checks)
                {
                    var sw = Stopwatch.StartNew();
                    using (LatticeDb.Open(path, new DbOptions { StartupCheck = check })) times[check].Add(sw.Elapsed.TotalMilliseconds);
                }
            }
            double none = Median(times[StartupCheck.None]);
            Console.WriteLine("| StartupCheck | median open (ms) | min | max | added to None (ms) |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            foreach (var check in checks)
            {
                var t = times[check];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {check} | {Median(t):F1} | {t.Min():F1} | {t.Max():F1} | {Median(t) - none:F1} |"));
            }
        }
        finally
        {
            if (temporary && Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        return 0;
    }

    /// <summary>Sequential keys with 100-byte values (as the comparative workloads write them) until the tables hold <paramref name="targetBytes"/>.</summary>
    private static void Fill(string path, long targetBytes)
    {
        var values = new KeyValueGenerator();
        using var db = LatticeDb.Open(path, new DbOptions { StartupCheck = StartupCheck.None });
        long n = long.TryParse(db.GetProperty("lattice.estimate-num-keys"), NumberStyles.None, CultureInfo.InvariantCulture, out long existing) ? existing : 0;
        var batch = new WriteBatch();
        while (true)
        {
            for (int i = 0; i < 100_000; i++, n++)
            {
                batch.Put(KeyValueGenerator.Key(n), values.NextValue());
                if (batch.Count == 1000)
                {
                    db.Write(batch);
                    batch.Clear();
                }
            }
            if (TableBytes(path) >= targetBytes) break;
        }
        db.Flush();
        db.WaitForCompactions();
    }

    private static long TableBytes(string path)
        => Directory.Exists(path) ? Directory.EnumerateFiles(path, "*.sst").Sum(f => new FileInfo(f).Length) : 0;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
