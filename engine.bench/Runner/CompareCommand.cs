using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using LatticeKV.Bench.Engines;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// <c>compare</c>: runs every selected engine through the selected workloads, each engine in its
/// own child process (so process-level counters such as bytes written and peak RSS belong to
/// one engine), then prints a Markdown table and writes JSON.
/// </summary>
public static class CompareCommand
{
    public static readonly string[] Engines = ["latticekv"];
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public static int Run(string[] args)
    {
        long num = LongArg(args, "--num", 1_000_000);
        var engines = ListArg(args, "--engines", Engines);
        var workloads = ListArg(args, "--workloads", Workloads.All);
        string outDir = StringArg(args, "--out", "bench-results");
        string root = StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-bench"));
        Directory.CreateDirectory(outDir);
        var suites = new List<SuiteResult>();
        foreach (var engine in engines)
        {
            Console.WriteLine($"{engine}: {string.Join(", ", workloads)} with N = {num:N0}");
            string resultFile = Path.Combine(outDir, $"{engine}.json");
            var psi = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet") { UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(psi.FileName) == "dotnet") psi.ArgumentList.Add(typeof(CompareCommand).Assembly.Location);
            foreach (var a in new[] { "run-suite", "--engine", engine, "--num", num.ToString(CultureInfo.InvariantCulture), "--workloads", string.Join(',', workloads), "--dir", Path.Combine(root, engine), "--result", resultFile })
                psi.ArgumentList.Add(a);
            using var child = Process.Start(psi)!;
            child.WaitForExit();
            if (child.ExitCode != 0)
            {
                Console.Error.WriteLine($"{engine} failed with exit code {child.ExitCode}");
                return 1;
            }
            suites.Add(JsonSerializer.Deserialize<SuiteResult>(File.ReadAllText(resultFile))!);
        }
        string markdown = Report.Markdown(suites, num);
        Console.WriteLine(markdown);
        File.WriteAllText(Path.Combine(outDir, "results.md"), markdown);
        File.WriteAllText(Path.Combine(outDir, "results.json"), JsonSerializer.Serialize(suites, s_indented));
        Console.WriteLine($"Wrote {outDir}/results.md and results.json");
        return 0;
    }

    /// <summary>The child side: one engine, all workloads, results to a JSON file.</summary>
    public static int RunSuite(string[] args)
    {
        string engineName = StringArg(args, "--engine", "latticekv");
        long num = LongArg(args, "--num", 1_000_000);
        var workloads = ListArg(args, "--workloads", Workloads.All);
        string dir = StringArg(args, "--dir", Path.Combine(Path.GetTempPath(), "lkv-bench", engineName));
        string result = StringArg(args, "--result", engineName + ".json");
        Directory.CreateDirectory(dir);
        long cache = 256L << 20;
        string settings = "";
        IEngine Open(string path, long? writeBuffer)
        {
            IEngine e = engineName switch
            {
                "latticekv" => new LatticeEngine(path, cache, writeBuffer ?? 64L << 20),
                _ => throw new ArgumentException($"unknown engine '{engineName}'"),
            };
            settings = e.Settings;
            return e;
        }
        var runner = new Workloads(Open, dir, num, Console.WriteLine);
        var results = new List<WorkloadResult>();
        try
        {
            foreach (var w in workloads) results.Add(runner.Run(w));
        }
        finally
        {
            runner.Cleanup();
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
        File.WriteAllText(result, JsonSerializer.Serialize(new SuiteResult(engineName, settings, results)));
        return 0;
    }

    internal static string StringArg(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    internal static long LongArg(string[] args, string name, long fallback)
        => long.TryParse(StringArg(args, name, ""), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : fallback;

    internal static string[] ListArg(string[] args, string name, string[] fallback)
    {
        string s = StringArg(args, name, "");
        return s.Length == 0 ? fallback : s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}

/// <summary>Renders results.</summary>
public static class Report
{
    public static string Markdown(IReadOnlyList<SuiteResult> suites, long num)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"N = {num:N0}, 16-byte keys, 100-byte values (compressible to about half).");
        sb.AppendLine();
        sb.AppendLine("| Workload | Engine | ops/s | MB/s | p50 µs | p99 µs | p99.9 µs | write amp | space amp | peak RSS MB | note |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var workloads = suites.SelectMany(s => s.Results.Select(r => r.Workload)).Distinct();
        foreach (var w in workloads)
        {
            foreach (var s in suites)
            {
                var r = s.Results.FirstOrDefault(x => x.Workload == w);
                if (r is null) continue;
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {w} | {s.Engine} | {r.OpsPerSecond:N0} | {r.MegabytesPerSecond:F1} | {r.P50Micros:F1} | {r.P99Micros:F1} | {r.P999Micros:F1} | {Opt(r.WriteAmplification)} | {Opt(r.SpaceAmplification)} | {r.PeakRssBytes / 1e6:F0} | {r.Note} |");
            }
        }
        sb.AppendLine();
        foreach (var s in suites) sb.AppendLine(CultureInfo.InvariantCulture, $"* **{s.Engine}**: {s.Settings}");
        return sb.ToString();
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "";
}
