using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Runner;

/// <summary>One incremental step of <see cref="BackupBench"/>: what the backup after it added to the directory.</summary>
/// <param name="Step">What changed since the previous backup.</param>
/// <param name="Seconds">The backup's time.</param>
/// <param name="NewBytes"><see cref="BackupInfo.NewBytes"/>.</param>
/// <param name="TableBytes">Of those, tables new in <c>shared/</c>.</param>
/// <param name="LogBytes">Of those, write-ahead logs (every live log is copied whole, up to its current end, into each backup).</param>
/// <param name="OtherBytes">Of those, the MANIFEST, CURRENT, OPTIONS, IDENTITY (copied into each backup).</param>
public sealed record IncrementalStep(string Step, double Seconds, long NewBytes, long TableBytes, long LogBytes, long OtherBytes);

/// <summary>Everything one <c>backup</c> run measured, per round, for the JSON kept with the results.</summary>
public sealed record BackupResult(
    long Keys,
    int ValueSize,
    long LiveBytes,
    long DirectoryBytes,
    int FileCount,
    double? BuildSeconds,
    double[] BackupSeconds,
    double[] CopySeconds,
    double[] RestoreSeconds,
    double[] CopyBackupSeconds,
    List<IncrementalStep> Incremental,
    string Machine)
{
    /// <summary>Renders the run as Markdown: medians, rates, ratios against the goals, the incremental steps.</summary>
    public string Markdown()
    {
        var sb = new StringBuilder();
        string build = BuildSeconds is { } b ? string.Create(CultureInfo.InvariantCulture, $"built by this run in {b:F0} s (random order, flushed, compactions finished)") : "reused from an earlier run";
        sb.AppendLine(CultureInfo.InvariantCulture, $"Database: {Keys:N0} keys, 16-byte keys, {ValueSize}-byte values (compressible to about half), {MB(LiveBytes)} MB live in {FileCount} files ({MB(DirectoryBytes)} MB in the directory, what cp -r copies), {build}; closed and reopened before measuring.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{BackupSeconds.Length} rounds, the two sides of each comparison alternating (which goes first swaps every round: on this disk the second gigabyte written in a row is often the slower, whoever writes it, and the geometric mean of the round ratios over an even number of rounds cancels that), `sync` (all dirty data) and a pause between measurements, untimed. Rates are live bytes / seconds for both sides.");
        sb.AppendLine("Page cache: warm for both sides alike (the machine has RAM for all of it and no root to drop caches); every copy is fsynced before its clock stops, so the writes reach the disk on both sides.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine}.");
        sb.AppendLine();
        sb.AppendLine("| Operation | LatticeKV median s | MB/s | cp -r + sync median s | MB/s | LatticeKV ÷ cp -r, rate: of the medians (round i ÷ round i) | goal | met |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---|---|");
        Row(sb, "full backup (BackupEngine.CreateBackup into an empty directory) vs cp -r of the database directory", BackupSeconds, CopySeconds);
        Row(sb, "restore (BackupEngine.RestoreBackup into a new directory) vs cp -r of the backup directory", RestoreSeconds, CopyBackupSeconds);
        sb.AppendLine();
        sb.AppendLine("Each round's seconds (LatticeKV / cp -r):");
        sb.AppendLine();
        for (int i = 0; i < BackupSeconds.Length; i++)
            sb.AppendLine(CultureInfo.InvariantCulture, $"* round {i + 1}: backup {BackupSeconds[i]:F2} / {CopySeconds[i]:F2}; restore {RestoreSeconds[i]:F2} / {CopyBackupSeconds[i]:F2}");
        sb.AppendLine();
        sb.AppendLine("Incremental (a checkpoint of the database, hard-linked, opened and backed up in full; then 1% of the keys overwritten at random; then backed up into the same directory):");
        sb.AppendLine();
        sb.AppendLine("| Backup after | seconds | new bytes MB | of live DB | tables MB | logs MB | MANIFEST and small files MB | tables + small files, of live DB (goal ≤ 2%) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in Incremental)
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Step} | {s.Seconds:F2} | {MB(s.NewBytes)} | {Percent(s.NewBytes)} | {MB(s.TableBytes)} | {MB(s.LogBytes)} | {MB(s.OtherBytes)} | {Percent(s.TableBytes + s.OtherBytes)} |");
        return sb.ToString();
    }

    private void Row(StringBuilder sb, string name, double[] mine, double[] theirs)
    {
        double m = Median(mine), t = Median(theirs);
        var paired = mine.Zip(theirs, (a, c) => c / a).ToList();
        double geometric = Math.Exp(paired.Average(Math.Log));
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {m:F2} | {LiveBytes / 1e6 / m:F0} | {t:F2} | {LiveBytes / 1e6 / t:F0} | **{t / m:F2}** (rounds {paired.Min():F2}–{paired.Max():F2}, geometric mean {geometric:F2}) | ≥ 0.80 | {(t / m >= 0.8 ? "yes" : "**no**")} |");
    }

    private string Percent(long bytes) => (100.0 * bytes / LiveBytes).ToString("F2", CultureInfo.InvariantCulture) + "%";

    private static string MB(long bytes) => (bytes / 1e6).ToString("F1", CultureInfo.InvariantCulture);

    private static double Median(double[] xs)
    {
        var sorted = xs.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
