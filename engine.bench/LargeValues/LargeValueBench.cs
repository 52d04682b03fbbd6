using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Engines;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.LargeValues;

/// <summary>
/// <c>largevalues</c>: large values (issue 22) in LatticeKV (zstd for large values, and Snappy
/// only) against RocksDB (Snappy in its tables, and with its blob files) in one run. Per value
/// size, each engine in a fresh directory: a fill of M MiB of values in a random key order, then
/// an overwrite of every key in another order (garbage for compaction to collect), each followed by
/// a flush and the end of background compaction; then random reads. Reported: fill and overwrite
/// throughput (MiB/s of values), write amplification (bytes this process dirtied for storage, logs
/// deleted after their flush included, over the bytes of values put), the database's size at the end over the live bytes of
/// values, and read throughput. Values are distinct slices of compressible text (words and
/// numbers), so codecs matter. Both engines run with and without blob files (latticekv-blob and
/// rocksdb-blob, both separating values of <c>--min-blob-size</c> bytes or more).
/// </summary>
public static class LargeValueBench
{
    private static readonly string[] AllEngines = ["latticekv", "latticekv-snappy", "latticekv-blob", "latticekv-blob-cache", "rocksdb", "rocksdb-blob"];

    public static int Run(string[] args)
    {
        long mb = CompareCommand.LongArg(args, "--mb", 1024);
        long reads = CompareCommand.LongArg(args, "--reads", 2000);
        long minBlob = CompareCommand.LongArg(args, "--min-blob-size", 4096);
        var sizes = CompareCommand.StringArg(args, "--sizes", "4096,65536,1048576").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var engines = CompareCommand.StringArg(args, "--engines", string.Join(',', AllEngines)).Split(',');
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-largevalue-bench")));
        string outFile = CompareCommand.StringArg(args, "--out", "bench-largevalues.txt");
        if (engines.FirstOrDefault(e => !AllEngines.Contains(e)) is { } unknown)
        {
            Console.Error.WriteLine($"unknown engine '{unknown}' (known: {string.Join(", ", AllEngines)})");
            return 2;
        }
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        var settings = new EngineSettings(BlockCacheBytes: 256L << 20, WriteBufferBytes: 64L << 20, BackgroundNice: 0, Reads: ReadApi.LeastAllocating);
        var text = Text(16 << 20, 22);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"# largevalues bench: {mb} MiB of values per size, filled then overwritten in random orders, {reads} random reads; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
        report.AppendLine("| value | engine | fill MiB/s | overwrite MiB/s | write amp | space / live | read MiB/s |");
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        var described = new Dictionary<string, string>();
        Directory.CreateDirectory(root);
        try
        {
            // Untimed, so the first engine measured does not pay for the JIT.
            foreach (var name in engines)
            {
                string path = Path.Combine(root, $"{name}-warm-up");
                Measure(() => Open(name, path, settings, minBlob), path, 65536, text, Workloads.Permutation(32, 3), Workloads.Permutation(32, 5), 32, out _);
                Directory.Delete(path, recursive: true);
            }
            foreach (int size in sizes)
            {
                long num = Math.Max(1, (mb << 20) / size);
                var fillOrder = Workloads.Permutation(num, 31);
                var overwriteOrder = Workloads.Permutation(num, 37);
                foreach (var name in engines)
                {
                    string path = Path.Combine(root, $"{name}-{size}");
                    var r = Measure(() => Open(name, path, settings, minBlob), path, size, text, fillOrder, overwriteOrder, reads, out string engineSettings);
                    described[name] = engineSettings;
                    report.AppendLine(CultureInfo.InvariantCulture,
                        $"| {size / 1024} KiB | {name} | {r.Fill:0.0} | {r.Overwrite:0.0} | {r.WriteAmp:0.00} | {r.Space:0.00} | {r.Read:0.0} |");
                    Console.WriteLine(report.ToString().Split('\n')[^2]);
                    Directory.Delete(path, recursive: true);
                }
            }
            report.AppendLine();
            foreach (var (name, s) in described) report.AppendLine(CultureInfo.InvariantCulture, $"- {name}: {s}");
            Console.Write(report);
            File.WriteAllText(outFile, report.ToString());
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
        return 0;
    }

    private static IEngine Open(string name, string path, EngineSettings settings, long minBlob) => name switch
    {
        "latticekv" => new LatticeEngine(path, settings, blobValueThreshold: 0),
        "latticekv-snappy" => new LatticeEngine(path, settings, largeValueThreshold: 0, blobValueThreshold: 0),
        "latticekv-blob" => new LatticeEngine(path, settings, blobValueThreshold: (int)minBlob),
        "latticekv-blob-cache" => new LatticeEngine(path, settings, blobValueThreshold: (int)minBlob, cacheBlobValues: true),
        "rocksdb" => new RocksDbEngine(path, settings),
        "rocksdb-blob" => new RocksDbEngine(path, settings, minBlobSize: minBlob),
        _ => throw new ArgumentException(name),
    };

    private readonly record struct Result(double Fill, double Overwrite, double WriteAmp, double Space, double Read);

    private static Result Measure(Func<IEngine> open, string path, int size, byte[] text, long[] fillOrder, long[] overwriteOrder, long reads, out string engineSettings)
    {
        double mib = (double)fillOrder.Length * size / (1 << 20);
        long writtenBefore = ProcessStats.BytesDirtied();
        double fill, overwrite, read;
        using (var engine = open())
        {
            engineSettings = engine.Settings;
            fill = mib / Timed(() => Put(engine, fillOrder, size, text, generation: 0));
            overwrite = mib / Timed(() => Put(engine, overwriteOrder, size, text, generation: 1));
            var buffer = new byte[size];
            Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
            var random = new Random(41);
            var sw = Stopwatch.StartNew();
            for (long i = 0; i < reads; i++)
            {
                KeyValueGenerator.Key(random.NextInt64(fillOrder.Length), key);
                if (engine.Get(key, buffer) != size) throw new InvalidOperationException($"{engine.Name}: a value of {size} bytes read back wrong");
            }
            read = reads * (double)size / (1 << 20) / sw.Elapsed.TotalSeconds;
        }
        double writeAmp = (ProcessStats.BytesDirtied() - writtenBefore) / (2 * mib * (1 << 20));
        double space = ProcessStats.DirectorySize(path) / (mib * (1 << 20));
        return new Result(fill, overwrite, writeAmp, space, read);
    }

    /// <summary>Seconds <paramref name="put"/> takes (it puts, flushes and lets compaction finish).</summary>
    private static double Timed(Action put)
    {
        var sw = Stopwatch.StartNew();
        put();
        return sw.Elapsed.TotalSeconds;
    }

    private static void Put(IEngine engine, long[] order, int size, byte[] text, int generation)
    {
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        long span = text.Length - size;
        foreach (long n in order)
        {
            KeyValueGenerator.Key(n, key);
            // A distinct slice per key and generation: values do not repeat each other.
            long offset = (n * 7919 + generation * 104729) % Math.Max(1, span);
            engine.Put(key, text.AsSpan((int)offset, size), sync: false);
        }
        engine.Flush();
        engine.WaitForBackgroundWork();
    }

    /// <summary>Compressible text: words and numbers from a small vocabulary.</summary>
    private static byte[] Text(int size, int seed)
    {
        string[] words = ["ledger", "account", "balance", "transfer", "lattice", "value", "sample", "research", "object", "field", "genome", "image"];
        var random = new Random(seed);
        var sb = new StringBuilder(size + 16);
        while (sb.Length < size) sb.Append(words[random.Next(words.Length)]).Append(random.Next(100_000)).Append(' ');
        return Encoding.ASCII.GetBytes(sb.ToString(0, size));
    }
}
