using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Runner;

/// <summary>Renders results as Markdown: every measurement, then LatticeKV's ratio to each other engine.</summary>
public static class Report
{
    public static string Markdown(IReadOnlyList<SuiteResult> suites, long num, FsyncProbe.Rates? fsync = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"N = {num:N0}, 16-byte keys, 100-byte values (compressible to about half).");
        if (fsync is not null)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"The machine's own rate of 116-byte writes each followed by fsync: {fsync.Appending:N0}/s appending to a growing file, {fsync.Preallocated:N0}/s overwriting preallocated blocks (the ceiling for fillsync).");
        sb.AppendLine();
        sb.AppendLine("| Workload | Engine | ops/s | MB/s | p50 µs | p99 µs | p99.9 µs | write amp | space amp | peak RSS MB | note |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var workloads = suites.SelectMany(s => s.Results.Select(r => r.Workload)).Distinct().ToList();
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
        var lattice = suites.FirstOrDefault(s => s.Engine == "latticekv");
        var others = suites.Where(s => s.Engine != "latticekv").ToList();
        if (lattice is not null && others.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("LatticeKV / other engine, ops/s (above 1: LatticeKV is faster); for workloads run in rounds, the range of round i over round i in brackets:");
            sb.AppendLine();
            sb.AppendLine("| Workload | " + string.Join(" | ", others.Select(o => "÷ " + o.Engine)) + " |");
            sb.AppendLine("|---|" + string.Concat(others.Select(_ => "---:|")));
            foreach (var w in workloads)
            {
                var mine = lattice.Results.FirstOrDefault(x => x.Workload == w);
                if (mine is null) continue;
                sb.Append(CultureInfo.InvariantCulture, $"| {w} |");
                foreach (var o in others)
                {
                    var theirs = o.Results.FirstOrDefault(x => x.Workload == w);
                    sb.Append(theirs is { OpsPerSecond: > 0 } ? string.Create(CultureInfo.InvariantCulture, $" {mine.OpsPerSecond / theirs.OpsPerSecond:F2}{PairedRounds(mine, theirs)} |") : " |");
                }
                sb.AppendLine();
            }
        }
        sb.AppendLine();
        foreach (var s in suites) sb.AppendLine(CultureInfo.InvariantCulture, $"* **{s.Engine}**: {s.Settings}");
        return sb.ToString();
    }

    /// <summary>
    /// For workloads measured in alternating rounds, the lowest and highest ratio of one
    /// engine's round to the other's same round (run back to back, so on the same minute of a
    /// noisy machine); empty otherwise.
    /// </summary>
    private static string PairedRounds(WorkloadResult mine, WorkloadResult theirs)
    {
        if (mine.RoundRates is not { Length: > 1 } a || theirs.RoundRates is not { Length: > 1 } b || a.Length != b.Length) return "";
        var ratios = a.Zip(b, (x, y) => y > 0 ? x / y : double.NaN).Where(double.IsFinite).ToList();
        return ratios.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({ratios.Min():F2}–{ratios.Max():F2})");
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "";
}
