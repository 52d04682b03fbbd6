using System.Globalization;
using System.Xml.Linq;
using static LatticeKV.Tool.Report.HtmlReport;

namespace LatticeKV.Tool.Report;

/// <summary>
/// The storage-growth section of the HTML report: the growth rate and disk-full projection, a
/// line chart of the database's size over time (total, tables, logs; one marked point per sample,
/// its time and bytes in data attributes), a chart of the free disk, and the latest samples. A
/// small inline script (no external resources) records script errors in <c>#lkv-errors</c> and,
/// once the charts are in the page, marks <c>#lkv-rendered</c> with the number of points it found.
/// </summary>
public static class GrowthSection
{
    private const int Width = 720, Height = 220, Left = 80, Bottom = 28, Top = 10, Right = 16;
    private const int TableRows = 50;

    internal const string Style = """
        svg.growth-chart .axis { stroke: #999; }
        svg.growth-chart polyline { fill: none; stroke-width: 2; }
        #lkv-errors:empty { display: none; }
        """;

    // Without '<', '>' or '&': the page is XHTML, and those would be escaped inside the script element.
    private const string Script = """
        (function () {
          var errors = [];
          window.onerror = function (message) { errors.push(String(message)); show(); };
          function show() {
            var list = document.getElementById('lkv-errors');
            list.textContent = '';
            errors.forEach(function (e) { var li = document.createElement('li'); li.textContent = e; list.appendChild(li); });
          }
          function mark() {
            var points = document.querySelectorAll('svg.growth-chart circle.point');
            var marker = document.getElementById('lkv-rendered');
            var expected = Number(marker.getAttribute('data-expected'));
            var drawn = 0;
            points.forEach(function (p) { if (p.getBBox().width !== 0) drawn++; });
            marker.setAttribute('data-points', String(points.length));
            marker.setAttribute('data-drawn', String(drawn));
            marker.textContent = drawn === expected ? 'rendered' : 'incomplete';
            show();
          }
          if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mark); else mark();
        })();
        """;

    /// <summary>The section for <paramref name="history"/>.</summary>
    public static XElement Build(StorageHistoryReport history)
    {
        var samples = history.Samples;
        var section = new XElement(H + "section", new XAttribute("class", "storage-growth"), new XAttribute("id", "storage-growth"),
            new XElement(H + "h2", "Storage growth"));
        if (history.Problem is { } problem) section.Add(new XElement(H + "p", new XAttribute("class", "problem"), "The storage history could not be read: " + problem));
        if (samples.Count == 0)
        {
            section.Add(new XElement(H + "p", "No storage samples yet (DbOptions.StorageSampleInterval; a sample is taken at every open and close)."));
            return section;
        }
        section.Add(
            Table(["Growth", "Value"], GrowthRows(history.Growth, samples[^1]), "growth"),
            new XElement(H + "h3", "Database size"),
            Chart("size-chart", "Database size over time", samples,
            [
                ("total", "#29335c", s => s.TotalBytes),
                ("tables", "#669bbc", s => s.TableBytes),
                ("logs", "#f3a712", s => s.LogBytes),
            ]));
        if (samples.Any(s => s.DiskFreeBytes is not null))
        {
            section.Add(new XElement(H + "h3", "Free disk"),
                Chart("disk-chart", "Free disk space over time", [.. samples.Where(s => s.DiskFreeBytes is not null)], [("free", "#a8c686", s => s.DiskFreeBytes!.Value)]));
        }
        int expected = samples.Count * 3 + samples.Count(s => s.DiskFreeBytes is not null);
        section.Add(
            new XElement(H + "h3", samples.Count > TableRows ? $"The latest {TableRows} of {samples.Count} samples" : "Samples"),
            Table(["Time (UTC)", "Total", "Tables", "Logs", "Other", "Backups", "Free disk"],
                samples.TakeLast(TableRows).Reverse().Select(s => new[]
                {
                    s.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), Sizes.Format(s.TotalBytes), Sizes.Format(s.TableBytes),
                    Sizes.Format(s.LogBytes), Sizes.Format(s.OtherBytes), s.BackupBytes is { } b ? Sizes.Format(b) : "-", s.DiskFreeBytes is { } f ? Sizes.Format(f) : "-",
                }), "samples"),
            new XElement(H + "p", new XAttribute("id", "lkv-rendered"), new XAttribute("data-expected", expected), "not rendered (scripts off)"),
            new XElement(H + "ul", new XAttribute("id", "lkv-errors"), new XAttribute("class", "problem")),
            new XElement(H + "script", Script));
        return section;
    }

    /// <summary>A page holding only the storage growth of the database at <paramref name="path"/> (<c>lkv stats DB --history --html</c>).</summary>
    public static void WritePage(string path, StorageHistoryReport history, string file)
        => HtmlReport.WritePage(new XElement(H + "html", new XAttribute("lang", "en"),
            new XElement(H + "head",
                new XElement(H + "meta", new XAttribute("charset", "utf-8")),
                new XElement(H + "title", "LatticeKV storage growth: " + path),
                new XElement(H + "style", "body { font-family: system-ui, sans-serif; margin: 2em; color: #222; } table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }\n" + Style)),
            new XElement(H + "body",
                new XElement(H + "h1", "LatticeKV storage growth"),
                new XElement(H + "p", new XElement(H + "code", path)),
                Build(history))), file);

    internal static IEnumerable<string[]> GrowthRows(StorageGrowth? growth, StorageSample last)
    {
        yield return ["Size now", Sizes.Format(last.TotalBytes)];
        if (last.DiskFreeBytes is { } free) yield return ["Free disk", $"{Sizes.Format(free)} of {Sizes.Format(last.DiskTotalBytes ?? 0)}"];
        if (growth is null)
        {
            yield return ["Growth rate", "not enough samples yet"];
            yield break;
        }
        yield return ["Growth rate", $"{Rate(growth.BytesPerDay)} per day (over {growth.Samples} samples, {Span(growth.Span)})"];
        yield return ["Disk full", Projection(growth)];
    }

    internal static string Rate(double bytesPerDay) => (bytesPerDay < 0 ? "-" : "+") + Sizes.Format((long)Math.Abs(Math.Round(bytesPerDay)));

    internal static string Span(TimeSpan span) => span.TotalDays >= 1
        ? span.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " days"
        : span.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " hours";

    internal static string Projection(StorageGrowth growth) => growth.ProjectedDiskFull switch
    {
        null when growth.BytesPerDay <= 0 => "never at this rate (not growing)",
        null => "unknown (free disk space not known)",
        { } t when t == DateTimeOffset.MaxValue => "not in the foreseeable future",
        { } t => $"{t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC (in {Span(t - growth.LastSample)})",
    };

    private static XElement Chart(string id, string label, IReadOnlyList<StorageSample> samples, (string Name, string Color, Func<StorageSample, long> Value)[] series)
    {
        var svg = Svg(Width, Height, "growth-chart", label);
        svg.Add(new XAttribute("id", id));
        long t0 = samples[0].Time.ToUnixTimeMilliseconds(), t1 = samples[^1].Time.ToUnixTimeMilliseconds();
        long max = Math.Max(1, series.Max(s => samples.Max(s.Value)));
        double X(StorageSample s) => Left + (t1 == t0 ? (Width - Left - Right) / 2.0 : (double)(s.Time.ToUnixTimeMilliseconds() - t0) / (t1 - t0) * (Width - Left - Right));
        double Y(long v) => Top + (1 - (double)v / max) * (Height - Top - Bottom);
        svg.Add(
            new XElement(S + "line", new XAttribute("class", "axis"), Attr("x1", Left), Attr("x2", Left), Attr("y1", Top), Attr("y2", Height - Bottom)),
            new XElement(S + "line", new XAttribute("class", "axis"), Attr("x1", Left), Attr("x2", Width - Right), Attr("y1", Height - Bottom), Attr("y2", Height - Bottom)),
            SvgText(4, Top + 10, Sizes.Format(max)),
            SvgText(4, Height - Bottom, "0"),
            SvgText(Left, Height - 8, samples[0].Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
            new XElement(S + "text", Attr("x", Width - Right), Attr("y", Height - 8), new XAttribute("text-anchor", "end"),
                samples[^1].Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)));
        int legend = 0;
        foreach (var (name, color, value) in series)
        {
            string points = string.Join(' ', samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{X(s):0.##},{Y(value(s)):0.##}")));
            svg.Add(new XElement(S + "polyline", new XAttribute("class", "series"), new XAttribute("data-series", name), new XAttribute("stroke", color), new XAttribute("points", points)));
            foreach (var s in samples)
            {
                svg.Add(new XElement(S + "circle", new XAttribute("class", "point"), new XAttribute("data-series", name),
                    new XAttribute("data-time", s.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)), new XAttribute("data-bytes", value(s).ToString(CultureInfo.InvariantCulture)),
                    Attr("cx", X(s)), Attr("cy", Y(value(s))), Attr("r", 2.5), new XAttribute("fill", color),
                    new XElement(S + "title", string.Create(CultureInfo.InvariantCulture, $"{name} {s.Time.UtcDateTime:yyyy-MM-dd HH:mm}: {Sizes.Format(value(s))}"))));
            }
            svg.Add(new XElement(S + "text", Attr("x", Left + 10 + legend * 90), Attr("y", Top + 10), new XAttribute("fill", color), name));
            legend++;
        }
        return svg;
    }
}
