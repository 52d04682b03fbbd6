using System.Globalization;
using System.Text;
using Spectre.Console;

namespace LatticeKV.Tool.Report;

/// <summary><c>lkv stats DB --history</c> in the terminal: the samples, a chart of the size over time, the growth rate and the disk-full projection.</summary>
public static class GrowthView
{
    private const int TableRows = 30;
    private const int BarRows = 12;
    private static readonly char[] Blocks = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

    public static void Render(IAnsiConsole console, string path, StorageHistoryReport history)
    {
        var samples = history.Samples;
        console.MarkupLine($"[bold]Storage history[/] of [blue]{Markup.Escape(path)}[/]");
        if (history.Problem is { } problem) console.MarkupLine($"[red]The storage history could not be read:[/] {Markup.Escape(problem)}");
        if (samples.Count == 0)
        {
            console.MarkupLine("No storage samples yet (DbOptions.StorageSampleInterval; a sample is taken at every open and close).");
            return;
        }
        var t = new Table().Title(samples.Count > TableRows ? $"The latest {TableRows} of {samples.Count} samples" : $"{samples.Count} samples")
            .AddColumns("Time (UTC)", "Total", "Tables", "Logs", "Other", "Backups", "Free disk");
        for (int i = 1; i < t.Columns.Count; i++) t.Columns[i].RightAligned();
        foreach (var s in samples.TakeLast(TableRows))
            t.AddRow(Time(s.Time), Sizes.Format(s.TotalBytes), Sizes.Format(s.TableBytes), Sizes.Format(s.LogBytes), Sizes.Format(s.OtherBytes),
                s.BackupBytes is { } b ? Sizes.Format(b) : "-", s.DiskFreeBytes is { } f ? Sizes.Format(f) : "-");
        console.Write(t);
        console.MarkupLine($"[bold]Total size[/] {Time(samples[0].Time)} .. {Time(samples[^1].Time)}");
        console.WriteLine(Sparkline(samples.Select(s => s.TotalBytes).ToList(), Math.Clamp(console.Profile.Width - 4, 20, 100)));
        var bars = new BarChart().Width(Math.Clamp(console.Profile.Width, 40, 100)).Label("[bold]Total size, the latest samples[/]");
        foreach (var s in samples.TakeLast(BarRows))
            bars.AddItem(s.Time.UtcDateTime.ToString("MM-dd HH:mm", CultureInfo.InvariantCulture), Math.Round(s.TotalBytes / 1024.0, 1), Color.SteelBlue);
        console.Write(bars);
        console.MarkupLine("[grey](bars in KiB)[/]");
        var g = new Table().AddColumns("Growth", "Value");
        foreach (var row in GrowthSection.GrowthRows(history.Growth, samples[^1])) g.AddRow(row[0], Markup.Escape(row[1]));
        console.Write(g);
    }

    /// <summary>One block character per column, its height the value's share of the largest; more values than columns are averaged into buckets.</summary>
    public static string Sparkline(IReadOnlyList<long> values, int width)
    {
        if (values.Count == 0) return "";
        int columns = Math.Min(width, values.Count);
        var buckets = new double[columns];
        for (int c = 0; c < columns; c++)
        {
            int from = c * values.Count / columns, to = Math.Max(from + 1, (c + 1) * values.Count / columns);
            double sum = 0;
            for (int i = from; i < to; i++) sum += values[i];
            buckets[c] = sum / (to - from);
        }
        double min = buckets.Min(), max = buckets.Max();
        var sb = new StringBuilder(columns);
        foreach (double v in buckets)
            sb.Append(max == min ? Blocks[^1] : Blocks[(int)Math.Round((v - min) / (max - min) * (Blocks.Length - 1))]);
        return sb.ToString();
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>The history as JSON (<c>--json</c>).</summary>
    public static Dictionary<string, object?> Json(string path, StorageHistoryReport history) => new()
    {
        ["path"] = path,
        ["problem"] = history.Problem,
        ["samples"] = history.Samples.Select(s => new Dictionary<string, object?>
        {
            ["time"] = s.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            ["total_bytes"] = s.TotalBytes,
            ["table_bytes"] = s.TableBytes,
            ["log_bytes"] = s.LogBytes,
            ["other_bytes"] = s.OtherBytes,
            ["backup_bytes"] = s.BackupBytes,
            ["disk_free_bytes"] = s.DiskFreeBytes,
            ["disk_total_bytes"] = s.DiskTotalBytes,
            ["levels"] = s.Levels.Select(l => new Dictionary<string, object> { ["column_family"] = l.ColumnFamily, ["level"] = l.Level, ["bytes"] = l.Bytes, ["files"] = l.Files }).ToList(),
        }).ToList(),
        ["growth"] = history.Growth is not { } g ? null : new Dictionary<string, object?>
        {
            ["bytes_per_day"] = g.BytesPerDay,
            ["samples"] = g.Samples,
            ["span_seconds"] = g.Span.TotalSeconds,
            ["projected_disk_full"] = g.ProjectedDiskFull?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        },
    };
}
