using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// Renders results as Markdown: every measurement, LatticeKV's ratio to each other engine (burst
/// and sustained for the workloads that write), and the issue's targets with what this run met.
/// </summary>
public static class Report
{
    private const string RocksDbNote = "RocksDB through its .NET binding (P/Invoke)";

    public static string Markdown(IReadOnlyList<SuiteResult> suites, long num, FsyncProbe.Rates? fsync = null)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"N = {num:N0}, 16-byte keys, 100-byte values (compressible to about half).");
        if (fsync is not null)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"The machine's own rate of 116-byte writes each followed by fsync: {fsync.Appending:N0}/s appending to a growing file, {fsync.Preallocated:N0}/s overwriting preallocated blocks (the ceiling for fillsync).");
        sb.AppendLine("ops/s is the burst rate (the clock stops when the last operation returns, as in db_bench); sustained ops/s stops it only once the memtable is flushed and background compaction has brought the tree within its targets (LatticeKV's also once its idle drain has compacted level 0 into level 1, DbOptions.IdleCompactionDelay). "
            + "Allocated MB is the database directory's blocks on disk (st_blocks, as du counts) with the database open at the end of the workload / after closing it; peak RSS is the process's peak during the workload. "
            + "Workloads marked (fresh process) ran first thing in a new process, without the warm-up.");
        sb.AppendLine();
        sb.AppendLine("| Workload | Engine | ops/s | sustained ops/s | MB/s | p50 µs | p99 µs | p99.9 µs | write amp | space amp | allocated MB open / closed | peak RSS MB | note |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var workloads = suites.SelectMany(s => s.Results.Select(r => r.Workload)).Distinct().ToList();
        foreach (var w in workloads)
        {
            foreach (var s in suites)
            {
                var r = s.Results.FirstOrDefault(x => x.Workload == w);
                if (r is null) continue;
                sb.AppendLine(CultureInfo.InvariantCulture,
                    $"| {w} | {s.Engine} | {r.OpsPerSecond:N0} | {OptRate(r.SustainedOpsPerSecond)} | {r.MegabytesPerSecond:F1} | {r.P50Micros:F1} | {r.P99Micros:F1} | {r.P999Micros:F1} | {Opt(r.WriteAmplification)} | {Opt(r.SpaceAmplification)} | {Allocated(r)} | {r.PeakRssBytes / 1e6:F0} | {r.Note} |");
            }
        }
        var lattice = suites.FirstOrDefault(s => s.Engine == "latticekv");
        var others = suites.Where(s => s.Engine is not ("latticekv" or "latticekv-enc" or "latticekv-autobackup")).ToList();
        var encrypted = suites.FirstOrDefault(s => s.Engine == "latticekv-enc");
        var autoBackup = suites.FirstOrDefault(s => s.Engine == "latticekv-autobackup");
        var rocks = others.FirstOrDefault(o => o.Engine == "rocksdb");
        if (lattice is not null && others.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"LatticeKV / other engine, ops/s (above 1: LatticeKV is faster; \"rocksdb\" is {RocksDbNote}); for writing workloads burst / sustained; for workloads run in rounds, the range of round i over round i in brackets; peak RSS ratio beside:");
            sb.AppendLine();
            sb.AppendLine("| Workload | " + string.Join(" | ", others.Select(o => $"÷ {Label(o.Engine)} | RSS ÷ {o.Engine}")) + " |");
            sb.AppendLine("|---|" + string.Concat(others.Select(_ => "---:|---:|")));
            foreach (var w in workloads)
            {
                var mine = lattice.Results.FirstOrDefault(x => x.Workload == w);
                if (mine is null) continue;
                sb.Append(CultureInfo.InvariantCulture, $"| {w} |");
                foreach (var o in others)
                {
                    var theirs = o.Results.FirstOrDefault(x => x.Workload == w);
                    if (theirs is not { OpsPerSecond: > 0 })
                    {
                        sb.Append(" | |");
                        continue;
                    }
                    string ratio = string.Create(CultureInfo.InvariantCulture, $"{mine.OpsPerSecond / theirs.OpsPerSecond:F2}{PairedRounds(mine.RoundRates, theirs.RoundRates)}");
                    if (mine.SustainedOpsPerSecond is { } ms && theirs.SustainedOpsPerSecond is { } ts && ts > 0)
                        ratio += string.Create(CultureInfo.InvariantCulture, $" / {ms / ts:F2}{PairedRounds(mine.SustainedRoundRates, theirs.SustainedRoundRates)}");
                    string rss = theirs.PeakRssBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{(double)mine.PeakRssBytes / theirs.PeakRssBytes:F2}") : "";
                    sb.Append(CultureInfo.InvariantCulture, $" {ratio} | {rss} |");
                }
                sb.AppendLine();
            }
            Targets(sb, lattice, others);
        }
        if (lattice is not null && encrypted is not null)
            VariantOverhead(sb, "Encrypted LatticeKV (default family encrypted) ÷ plain LatticeKV and ÷ RocksDB, ops/s (burst / sustained where measured):", "enc", workloads, encrypted, lattice, rocks);
        if (lattice is not null && autoBackup is not null)
            VariantOverhead(sb, "LatticeKV with automatic backups (DbOptions.AutoBackup) ÷ plain LatticeKV and ÷ RocksDB, ops/s (burst / sustained where measured; the range of round i over round i in brackets):", "auto", workloads, autoBackup, lattice, rocks);
        sb.AppendLine();
        foreach (var s in suites) sb.AppendLine(CultureInfo.InvariantCulture, $"* **{Label(s.Engine)}**: {s.Settings}");
        return sb.ToString();
    }

    /// <summary>
    /// A LatticeKV variant against plain LatticeKV (the issue's budget for it) and against RocksDB,
    /// side by side from one run: encryption (issue 17), automatic backups (issue 18).
    /// </summary>
    private static void VariantOverhead(StringBuilder sb, string title, string shortName, IEnumerable<string> workloads, SuiteResult variant, SuiteResult plain, SuiteResult? rocks)
    {
        sb.AppendLine();
        sb.AppendLine(title);
        sb.AppendLine();
        sb.AppendLine($"| Workload | {shortName} ÷ plain | {shortName} ÷ rocksdb | RSS {shortName} ÷ plain |");
        sb.AppendLine("|---|---:|---:|---:|");
        foreach (var w in workloads)
        {
            var e = variant.Results.FirstOrDefault(x => x.Workload == w);
            var p = plain.Results.FirstOrDefault(x => x.Workload == w);
            if (e is null || p is not { OpsPerSecond: > 0 }) continue;
            var r = rocks?.Results.FirstOrDefault(x => x.Workload == w);
            string Ratio(WorkloadResult a, WorkloadResult b)
            {
                string s = string.Create(CultureInfo.InvariantCulture, $"{a.OpsPerSecond / b.OpsPerSecond:F2}{PairedRounds(a.RoundRates, b.RoundRates)}");
                if (a.SustainedOpsPerSecond is { } sa && b.SustainedOpsPerSecond is { } sb2 && sb2 > 0)
                    s += string.Create(CultureInfo.InvariantCulture, $" / {sa / sb2:F2}{PairedRounds(a.SustainedRoundRates, b.SustainedRoundRates)}");
                return s;
            }
            string vsRocks = r is { OpsPerSecond: > 0 } ? Ratio(e, r) : "";
            string rss = p.PeakRssBytes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{(double)e.PeakRssBytes / p.PeakRssBytes:F2}") : "";
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {w} | {Ratio(e, p)} | {vsRocks} | {rss} |");
        }
    }

    private static string Label(string engine) => engine == "rocksdb" ? "rocksdb (P/Invoke)" : engine;

    /// <summary>The targets of the benchmark issues, each with this run's figure and whether it was met.</summary>
    private static void Targets(StringBuilder sb, SuiteResult lattice, List<SuiteResult> others)
    {
        var rocks = others.FirstOrDefault(o => o.Engine == "rocksdb");
        var zone = others.FirstOrDefault(o => o.Engine == "zonetree");
        var rows = new List<(string Target, string Measured, bool? Met)>();
        WorkloadResult? Mine(string w) => lattice.Results.FirstOrDefault(x => x.Workload == w);
        if (rocks is not null)
        {
            foreach (var w in new[] { "fillseq", "fillrandom", "overwrite" })
            {
                var (m, t) = (Mine(w), rocks.Results.FirstOrDefault(x => x.Workload == w));
                if (m?.SustainedOpsPerSecond is { } ms && t?.SustainedOpsPerSecond is { } ts && ts > 0)
                    rows.Add(($"{w} sustained ≥ 2.5 × {RocksDbNote}", Ratio(ms / ts), ms / ts >= 2.5));
            }
            foreach (var (w, min) in new[] { ("readrandom", 3.0), ("seekrandom", 4.0), ("readmissing", 1.0), ("readwhilewriting", 3.0) })
            {
                var (m, t) = (Mine(w), rocks.Results.FirstOrDefault(x => x.Workload == w));
                if (m is null || t is not { OpsPerSecond: > 0 }) continue;
                double r = m.OpsPerSecond / t.OpsPerSecond;
                rows.Add(($"{w} ≥ {min} × {RocksDbNote}", Ratio(r) + PairedRounds(m.RoundRates, t.RoundRates), r >= min));
            }
            double worst = 0;
            string at = "";
            foreach (var m in lattice.Results)
            {
                var t = rocks.Results.FirstOrDefault(x => x.Workload == m.Workload);
                if (t is not { PeakRssBytes: > 0 } || m.PeakRssBytes <= 0) continue;
                double r = (double)m.PeakRssBytes / t.PeakRssBytes;
                if (r > worst) (worst, at) = (r, m.Workload);
            }
            if (worst > 0) rows.Add(($"peak RSS ≤ 1.2 × {RocksDbNote}'s, every workload", $"highest {Ratio(worst)} ({at})", worst <= 1.2));
        }
        if (zone is not null)
        {
            foreach (var w in new[] { "readrandom", "seekrandom" })
            {
                var (m, t) = (Mine(w), zone.Results.FirstOrDefault(x => x.Workload == w));
                if (m is null || t is not { OpsPerSecond: > 0 }) continue;
                double lowest = m.RoundRates is { Length: > 1 } a && t.RoundRates is { Length: > 1 } b && a.Length == b.Length
                    ? a.Zip(b, (x, y) => x / y).Min() : m.OpsPerSecond / t.OpsPerSecond;
                rows.Add(($"{w} ≥ 1.3 × ZoneTree in every round", $"lowest round {Ratio(lowest)}", lowest >= 1.3));
            }
        }
        if (rows.Count == 0) return;
        sb.AppendLine();
        sb.AppendLine("Targets:");
        sb.AppendLine();
        sb.AppendLine("| Target | This run | Met |");
        sb.AppendLine("|---|---:|---|");
        foreach (var (target, measured, met) in rows)
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {target} | {measured} | {(met is true ? "yes" : met is false ? "**no**" : "")} |");
    }

    private static string Ratio(double r) => r.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>
    /// For workloads measured in alternating rounds, the lowest and highest ratio of one
    /// engine's round to the other's same round (run back to back, so on the same minute of a
    /// noisy machine); empty otherwise.
    /// </summary>
    private static string PairedRounds(double[]? a, double[]? b)
    {
        if (a is not { Length: > 1 } || b is not { Length: > 1 } || a.Length != b.Length) return "";
        var ratios = a.Zip(b, (x, y) => y > 0 ? x / y : double.NaN).Where(double.IsFinite).ToList();
        return ratios.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({ratios.Min():F2}–{ratios.Max():F2})");
    }

    private static string Allocated(WorkloadResult r)
    {
        if (r.AllocatedBytesOpen is not { } open) return "";
        string closed = r.AllocatedBytesClosed is { } c ? (c / 1e6).ToString("F1", CultureInfo.InvariantCulture) : "–";
        return string.Create(CultureInfo.InvariantCulture, $"{open / 1e6:F1} / {closed}");
    }

    private static string Opt(double? v) => v is { } x ? x.ToString("F2", CultureInfo.InvariantCulture) : "";

    private static string OptRate(double? v) => v is { } x ? x.ToString("N0", CultureInfo.InvariantCulture) : "";
}
