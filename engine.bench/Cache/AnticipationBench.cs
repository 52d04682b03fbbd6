using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Engines;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Cache;

/// <summary>
/// <c>anticipation</c> (issue 22, the cache that anticipates), three parts in one run:
/// <list type="bullet">
/// <item><c>preload</c>: zipfian point reads (theta 0.99) in the first seconds after a reopen with a
/// cold page cache, with and without preload; reads per second in each of the first seconds.</item>
/// <item><c>readahead</c>: a full scan with a cold page cache and a block cache smaller than the data,
/// LatticeKV with and without readahead against RocksDB (its automatic readahead) in the same run.</item>
/// <item><c>prefetch</c>: a navigation workload. Each of A accounts has a profile (<c>p</c> + 8 digits)
/// and T transactions (<c>t</c> + 8 digits + <c>:</c> + 6 digits). A session picks an account (zipfian:
/// users come back), reads its profile, waits a think time (the user reading the page), then reads
/// its newest 20 transactions with a seek. The first half of the sessions train; the second half
/// is measured: block cache hit ratio, and the latency of the transactions read (p50, p99), with
/// and without learned prefetch (prefix length 9). The block cache holds about a tenth of the data.</item>
/// </list>
/// Rounds alternate the configurations; each database is filled once and kept in --dir.
/// </summary>
public static class AnticipationBench
{
    private const int ValueSize = 400;

    public static int Run(string[] args)
    {
        long num = CompareCommand.LongArg(args, "--num", 2_000_000);
        int rounds = (int)CompareCommand.LongArg(args, "--rounds", 3);
        int seconds = (int)CompareCommand.LongArg(args, "--seconds", 5);
        var parts = CompareCommand.StringArg(args, "--parts", "preload,readahead,prefetch").Split(',');
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-anticipation-bench")));
        Directory.CreateDirectory(root);
        var lines = new List<string>();
        if (parts.Contains("preload")) lines.AddRange(Preload(root, num, rounds, seconds));
        if (parts.Contains("readahead")) lines.AddRange(Readahead(root, num, rounds));
        if (parts.Contains("prefetch")) lines.AddRange(Prefetch(root, num, rounds, CompareCommand.LongArg(args, "--think-us", 500)));
        foreach (var line in lines) Console.WriteLine(line);
        return 0;
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static long CacheBytes(long num) => Math.Max(8L << 20, num * ValueSize / 10);

    /// <summary>Fills <paramref name="path"/> with <paramref name="num"/> sequential keys once, compacted.</summary>
    private static void FillOnce(string path, long num)
    {
        if (File.Exists(Path.Combine(path, "FILLED"))) return;
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        var gen = new KeyValueGenerator(ValueSize);
        using (var db = LatticeDb.Open(path, new DbOptions { Preload = new PreloadOptions { Enabled = false } }))
        {
            var batch = new WriteBatch();
            for (long i = 0; i < num; i++)
            {
                batch.Put(KeyValueGenerator.Key(i), gen.NextValue());
                if (batch.Count == 1000) { db.Write(batch); batch = new WriteBatch(); }
            }
            db.Write(batch);
            db.CompactRange();
        }
        File.WriteAllText(Path.Combine(path, "FILLED"), "");
    }

    private static IEnumerable<string> Preload(string root, long num, int rounds, int seconds)
    {
        string path = Path.Combine(root, "preload");
        FillOnce(path, num);
        long cache = CacheBytes(num);
        var results = new Dictionary<bool, List<double[]>> { [true] = [], [false] = [] };
        string dropped = "";
        for (int round = 0; round < rounds; round++)
            foreach (bool preload in Alternate(round))
            {
                // A steady run first: the cache learns the hot set, recorded at close.
                using (var db = LatticeDb.Open(path, Options(cache, preload)))
                    ZipfReads(db, num, TimeSpan.FromSeconds(seconds), seed: 1 + round);
                dropped = ColdCache.Drop(path);
                using (var db = LatticeDb.Open(path, Options(cache, preload)))
                    results[preload].Add(ZipfReads(db, num, TimeSpan.FromSeconds(seconds), seed: 100 + round));
            }
        yield return Fmt($"preload: {num:N0} keys x {ValueSize} B, block cache {cache >> 20} MiB, zipfian 0.99 reads after a reopen, page cache dropped ({dropped}), {rounds} rounds, median reads/s per second since open");
        foreach (bool preload in new[] { true, false })
        {
            var perSecond = Enumerable.Range(0, seconds).Select(s => Median(results[preload].Select(r => r[s]))).ToArray();
            yield return Fmt($"  {(preload ? "with preload   " : "without preload")}: {string.Join("  ", perSecond.Select(v => v.ToString("N0", CultureInfo.InvariantCulture)))}");
        }
    }

    private static DbOptions Options(long cache, bool preload) => new()
    {
        BlockCacheCapacity = cache,
        Preload = new PreloadOptions { Enabled = preload, BytesPerSecond = 256L << 20 },
    };

    /// <summary>Zipfian point reads for <paramref name="duration"/>; reads completed in each second.</summary>
    private static double[] ZipfReads(LatticeDb db, long num, TimeSpan duration, int seed)
    {
        var zipf = new Zipf(num, 0.99, seed);
        var perSecond = new double[(int)Math.Ceiling(duration.TotalSeconds)];
        var key = new byte[KeyValueGenerator.KeySize];
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            KeyValueGenerator.Key(zipf.Next(), key);
            _ = db.Get(key);
            int s = (int)sw.Elapsed.TotalSeconds;
            if (s < perSecond.Length) perSecond[s]++;
        }
        return perSecond;
    }

    private static IEnumerable<string> Readahead(string root, long num, int rounds)
    {
        string path = Path.Combine(root, "scan-lattice");
        string rocksPath = Path.Combine(root, "scan-rocksdb");
        FillOnce(path, num);
        long cache = 8L << 20;
        if (!File.Exists(Path.Combine(rocksPath, "FILLED")))
        {
            if (Directory.Exists(rocksPath)) Directory.Delete(rocksPath, recursive: true);
            var gen = new KeyValueGenerator(ValueSize);
            using (var rocks = new RocksDbEngine(rocksPath, new EngineSettings(cache, 64L << 20, 0, ReadApi.Array)))
            {
                for (long i = 0; i < num; i++) rocks.Put(KeyValueGenerator.Key(i), gen.NextValue(), sync: false);
                rocks.Flush();
                rocks.CompactAll();
            }
            File.WriteAllText(Path.Combine(rocksPath, "FILLED"), "");
        }
        var times = new Dictionary<string, List<double>> { ["latticekv readahead"] = [], ["latticekv no readahead"] = [], ["rocksdb"] = [] };
        var counters = "";
        string dropped = "";
        for (int round = 0; round < rounds; round++)
            foreach (var config in round % 2 == 0 ? times.Keys.ToList() : times.Keys.Reverse().ToList())
            {
                dropped = ColdCache.Drop(path, rocksPath);
                var sw = Stopwatch.StartNew();
                long seen;
                if (config == "rocksdb")
                {
                    using var rocks = new RocksDbEngine(rocksPath, new EngineSettings(cache, 64L << 20, 0, ReadApi.Array));
                    sw.Restart();
                    seen = rocks.Scan(KeyValueGenerator.Key(0), int.MaxValue);
                }
                else
                {
                    using var db = LatticeDb.Open(path, new DbOptions
                    {
                        BlockCacheCapacity = cache,
                        Preload = new PreloadOptions { Enabled = false },
                        ReadaheadMaxBytes = config == "latticekv readahead" ? 2L << 20 : 0,
                    });
                    sw.Restart();
                    seen = 0;
                    using (var it = db.NewIterator())
                        for (it.SeekToFirst(); it.Valid; it.Next())
                        {
                            _ = it.Value;
                            seen++;
                        }
                    var stats = db.GetStatistics();
                    if (config == "latticekv readahead")
                        counters = Fmt($"readahead issued {stats["cache.readahead.issued"]:N0} blocks, used {stats["cache.readahead.used"]:N0}");
                }
                if (seen != num) throw new InvalidOperationException($"{config} scanned {seen} of {num} keys");
                times[config].Add(sw.Elapsed.TotalSeconds);
            }
        long bytes = num * (KeyValueGenerator.KeySize + ValueSize);
        yield return Fmt($"readahead: full scan of {num:N0} keys x {ValueSize} B with a cold page cache ({dropped}) and an {cache >> 20} MiB block cache, {rounds} rounds, median");
        foreach (var (config, list) in times)
        {
            double t = Median(list);
            yield return Fmt($"  {config,-24} {t,8:F2} s  {num / t,12:N0} keys/s  {bytes / t / (1 << 20),8:F1} MiB/s");
        }
        yield return "  " + counters;
    }

    private static IEnumerable<string> Prefetch(string root, long num, int rounds, long thinkUs)
    {
        int transactions = 50;
        long accounts = Math.Max(100, num / transactions);
        string path = Path.Combine(root, "navigation");
        if (!File.Exists(Path.Combine(path, "FILLED")))
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            var gen = new KeyValueGenerator(ValueSize);
            using (var db = LatticeDb.Open(path, new DbOptions { Preload = new PreloadOptions { Enabled = false } }))
            {
                var batch = new WriteBatch();
                for (long a = 0; a < accounts; a++)
                {
                    batch.Put(Profile(a), gen.NextValue());
                    for (int t = 0; t < transactions; t++) batch.Put(Transaction(a, t), gen.NextValue()[..120]);
                    if (batch.Count >= 1000) { db.Write(batch); batch = new WriteBatch(); }
                }
                db.Write(batch);
                db.CompactRange();
            }
            File.WriteAllText(Path.Combine(path, "FILLED"), "");
        }
        long dataBytes = accounts * (ValueSize + transactions * 140L);
        long cache = Math.Max(4L << 20, dataBytes / 10);
        int sessions = (int)Math.Min(200_000, accounts * 2);
        var results = new Dictionary<bool, List<(double Hit, double P50, double P99, string Counters)>> { [true] = [], [false] = [] };
        for (int round = 0; round < rounds; round++)
            foreach (bool prefetch in Alternate(round))
            {
                using var db = LatticeDb.Open(path, new DbOptions
                {
                    BlockCacheCapacity = cache,
                    Preload = new PreloadOptions { Enabled = false },
                    ReadaheadMaxBytes = 0,
                    Prefetch = prefetch ? new PrefetchOptions { PrefixLength = 9 } : null,
                });
                var zipf = new Zipf(accounts, 0.9, 7 + round);
                var latencies = new List<double>(sessions / 2);
                long hits0 = 0, misses0 = 0;
                for (int s = 0; s < sessions; s++)
                {
                    if (s == sessions / 2)
                    {
                        var st = db.GetStatistics();
                        hits0 = st["block.cache.hits"];
                        misses0 = st["block.cache.misses"];
                    }
                    long a = zipf.Next();
                    _ = db.Get(Profile(a));
                    Think(thinkUs);
                    long start = Stopwatch.GetTimestamp();
                    using (var it = db.NewIterator())
                    {
                        var prefix = Transaction(a, -1).AsSpan(0, 9).ToArray();
                        int read = 0;
                        for (it.Seek(prefix); it.Valid && read < 20 && it.Key.StartsWith(prefix); it.Next()) read++;
                    }
                    if (s >= sessions / 2) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }
                var stats = db.GetStatistics();
                double hit = (double)(stats["block.cache.hits"] - hits0) / Math.Max(1, stats["block.cache.hits"] - hits0 + stats["block.cache.misses"] - misses0);
                latencies.Sort();
                results[prefetch].Add((hit, latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.99)],
                    Fmt($"prefetch issued {stats["cache.prefetch.issued"]:N0}, used {stats["cache.prefetch.used"]:N0}, wasted {stats["cache.prefetch.wasted"]:N0}, pauses {stats["cache.prefetch.pauses"]}")));
            }
        yield return Fmt($"prefetch: navigation over {accounts:N0} accounts x {transactions} transactions, {sessions:N0} sessions (half training), think time {thinkUs} us, block cache {cache >> 20} MiB, {rounds} rounds, median");
        foreach (bool prefetch in new[] { true, false })
        {
            var r = results[prefetch];
            yield return Fmt($"  {(prefetch ? "with prefetch   " : "without prefetch")}: hit ratio {Median(r.Select(x => x.Hit)):P1}, transactions read p50 {Median(r.Select(x => x.P50)):F0} us, p99 {Median(r.Select(x => x.P99)):F0} us{(prefetch ? "; " + r[^1].Counters : "")}");
        }
    }

    private static byte[] Profile(long account) => Encoding.ASCII.GetBytes(Fmt($"p{account:D8}"));

    /// <summary>Transaction <paramref name="t"/> of an account, newest first (t counts down in key order).</summary>
    private static byte[] Transaction(long account, int t) => Encoding.ASCII.GetBytes(Fmt($"t{account:D8}:{999_999 - t:D6}"));

    /// <summary>Waits <paramref name="us"/> microseconds without giving up the thread (a sleep is far coarser).</summary>
    private static void Think(long us)
    {
        long until = Stopwatch.GetTimestamp() + us * Stopwatch.Frequency / 1_000_000;
        while (Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
    }

    /// <summary>With, then without, in even rounds; the other way round in odd ones (neither always runs first).</summary>
    private static bool[] Alternate(int round) => round % 2 == 0 ? [true, false] : [false, true];

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[sorted.Count / 2];
    }
}
