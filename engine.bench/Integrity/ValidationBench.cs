using System.Diagnostics;
using System.Globalization;
using System.Text;
using LatticeKV.Bench.Runner;

namespace LatticeKV.Bench.Integrity;

/// <summary>
/// <c>validation</c>: what a column family's validator costs on fillrandom (issue 21). The same
/// puts as the comparative fillrandom (16-byte keys in a random order, 100-byte values, WAL on,
/// no sync, 64 MiB write buffer), here JSON account documents so every validator accepts them,
/// into a fresh database per run: no validator; a trivial delegate; JSON well-formedness; a JSON
/// Schema. The variants alternate over the rounds and each one's median is reported, with its
/// ratio to the plain run.
/// </summary>
public static class ValidationBench
{
    private const int ValueSize = 100;

    private const string AccountSchema = """
        {"type":"object","required":["owner","balance"],
         "properties":{"owner":{"type":"string","minLength":1},"balance":{"type":"integer","minimum":0},"pad":{"type":"string"}},
         "additionalProperties":false}
        """;

    public static int Run(string[] args)
    {
        long num = CompareCommand.LongArg(args, "--num", 1_000_000);
        int rounds = (int)CompareCommand.LongArg(args, "--rounds", 3);
        string root = Path.GetFullPath(CompareCommand.StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-validation-bench")));
        string outFile = CompareCommand.StringArg(args, "--out", "bench-validation.txt");
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            Console.Error.WriteLine($"{root} is not empty: pass --dir with an empty or new directory (this run deletes what it creates there)");
            return 2;
        }
        var variants = new (string Name, Func<IValueValidator?> Validator)[]
        {
            ("plain", () => null),
            ("delegate", () => ValueValidators.FromDelegate("bench.non-empty", (_, value) => value.IsEmpty ? "empty" : null)),
            ("json", () => ValueValidators.Json),
            ("json-schema", () => ValueValidators.JsonSchema(AccountSchema)),
        };
        var order = Workloads.Permutation(num, 17);
        var values = Values(num);
        var rates = variants.ToDictionary(v => v.Name, _ => new List<double>());
        var report = new StringBuilder();
        Directory.CreateDirectory(root);
        try
        {
            // Untimed, so the first variant measured does not pay for the JIT.
            var warmUp = order[..(int)Math.Min(order.Length, 20_000)];
            foreach (var (name, validator) in variants)
            {
                string path = Path.Combine(root, $"{name}-warm-up");
                Fill(path, validator(), warmUp, values);
                Directory.Delete(path, recursive: true);
            }
            for (int round = 0; round < rounds; round++)
                foreach (var (name, validator) in variants)
                {
                    string path = Path.Combine(root, $"{name}-{round}");
                    rates[name].Add(Fill(path, validator(), order, values));
                    Directory.Delete(path, recursive: true);
                }
            double plain = Median(rates["plain"]);
            report.AppendLine(CultureInfo.InvariantCulture, $"# validation bench: fillrandom {num:N0} puts x {rounds} rounds, 16-byte keys, {ValueSize}-byte JSON values; {Environment.ProcessorCount} cores; {DateTime.UtcNow:u}");
            report.AppendLine("| validator | ops/s (median) | vs plain | rounds |");
            report.AppendLine("|---|---:|---:|---|");
            foreach (var (name, _) in variants)
            {
                double median = Median(rates[name]);
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {name} | {median:N0} | {median / plain:0.000}x | {string.Join(", ", rates[name].Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} |");
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

    /// <summary>Puts every key once in the given order; returns puts per second.</summary>
    private static double Fill(string path, IValueValidator? validator, long[] order, byte[][] values)
    {
        var family = new ColumnFamilyOptions();
        if (validator is not null) family.Validator = validator;
        using var db = LatticeDb.Open(path, new DbOptions { WriteBufferSize = 64 << 20, DefaultColumnFamilyOptions = family });
        Span<byte> key = stackalloc byte[KeyValueGenerator.KeySize];
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < order.Length; i++)
        {
            KeyValueGenerator.Key(order[i], key);
            db.Put(key, values[i % values.Length]);
        }
        return order.Length / sw.Elapsed.TotalSeconds;
    }

    /// <summary>A pool of distinct {"owner","balance","pad"} documents of exactly <see cref="ValueSize"/> bytes.</summary>
    private static byte[][] Values(long num)
    {
        var rnd = new Random(301);
        var pool = new byte[(int)Math.Min(num, 10_000)][];
        for (int i = 0; i < pool.Length; i++)
        {
            string owner = new([.. Enumerable.Range(0, 12).Select(_ => (char)('a' + rnd.Next(26)))]);
            string head = $"{{\"owner\":\"{owner}\",\"balance\":{rnd.Next(1_000_000)},\"pad\":\"";
            string pad = new([.. Enumerable.Range(0, ValueSize - head.Length - 2).Select(_ => (char)('a' + rnd.Next(26)))]);
            pool[i] = Encoding.ASCII.GetBytes(head + pad + "\"}");
        }
        return pool;
    }

    private static double Median(List<double> xs)
    {
        var sorted = xs.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
