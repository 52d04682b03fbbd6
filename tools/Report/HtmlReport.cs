using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using LatticeKV.Inspect;
using LatticeKV.Tool.Cli;

namespace LatticeKV.Tool.Report;

/// <summary>
/// The page <c>lkv inspect --html</c> writes: one self-contained file (no external resources)
/// with the database summary, the storage growth (<see cref="GrowthSection"/>, whose small inline
/// script only checks and marks the rendered charts), per column family a level-size chart and a key-range
/// chart as inline SVG, the tables, and the whole inspection as JSON in a
/// <c>script type="application/json" id="lkv-data"</c> element. It is well-formed XHTML, so
/// both HTML and XML parsers read it.
/// </summary>
public static class HtmlReport
{
    internal static readonly XNamespace H = "http://www.w3.org/1999/xhtml";
    internal static readonly XNamespace S = "http://www.w3.org/2000/svg";
    private static readonly string[] LevelColors = ["#e4572e", "#f3a712", "#a8c686", "#669bbc", "#29335c", "#7b2cbf", "#3d405b", "#81b29a"];

    public static void Write(DatabaseInfo db, ByteFormat format, string file, StorageHistoryReport? history = null)
        => WritePage(Build(db, format, history), file);

    /// <summary>Writes <paramref name="page"/> as a file: a doctype, then the XHTML.</summary>
    internal static void WritePage(XElement page, string file)
    {
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true, Encoding = new System.Text.UTF8Encoding(false) };
        using var stream = File.Create(file);
        using (var writer = new StreamWriter(stream, settings.Encoding))
        {
            writer.WriteLine("<!DOCTYPE html>");
            writer.Flush();
            using var xml = XmlWriter.Create(writer, settings);
            page.WriteTo(xml);
        }
    }

    public static XElement Build(DatabaseInfo db, ByteFormat format, StorageHistoryReport? history = null)
    {
        string json = JsonSerializer.Serialize(JsonModel.Database(db, format), JsonModel.Html); // escapes < > & as \u003C…: safe inside a script element
        var body = new XElement(H + "body",
            new XElement(H + "h1", "LatticeKV database"),
            new XElement(H + "p", new XElement(H + "code", db.Path)),
            Summary(db),
            history is null ? null : GrowthSection.Build(history),
            db.Locked ? Files(db) : null,
            db.ColumnFamilies.Select(cf => Family(cf, format)),
            Logs(db),
            db.OptionsText is { } options ? new XElement(H + "details", new XElement(H + "summary", "Options in effect"), new XElement(H + "pre", options)) : null,
            new XElement(H + "script", new XAttribute("type", "application/json"), new XAttribute("id", "lkv-data"), json));
        return new XElement(H + "html", new XAttribute("lang", "en"),
            new XElement(H + "head",
                new XElement(H + "meta", new XAttribute("charset", "utf-8")),
                new XElement(H + "title", "LatticeKV: " + db.Path),
                new XElement(H + "style", Style + GrowthSection.Style)),
            body);
    }

    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        th { background: #f2f2f2; }
        td.l, th.l { text-align: left; }
        section { margin-bottom: 2.5em; }
        svg text { font-size: 12px; font-family: system-ui, sans-serif; }
        code { background: #f5f5f5; padding: 0 0.3em; }
        """;

    private static XElement Summary(DatabaseInfo db)
    {
        long files = db.ColumnFamilies.Sum(cf => cf.Levels.Sum(l => (long)l.Files.Count));
        return Table(["Property", "Value"],
        [
            ["Format version", db.FormatVersion.ToString(CultureInfo.InvariantCulture)],
            ["Comparator", db.Comparator],
            ["MANIFEST", $"{db.Manifest} ({Sizes.Format(db.ManifestSize)})"],
            ["Last sequence", db.LastSequence.ToString("N0", CultureInfo.InvariantCulture)],
            ["Column families", db.ColumnFamilies.Count.ToString(CultureInfo.InvariantCulture)],
            ["Tables", files.ToString("N0", CultureInfo.InvariantCulture)],
            ["Write-ahead logs", db.LogFiles.Count.ToString(CultureInfo.InvariantCulture)],
            ["Size on disk", Sizes.Format(db.TotalBytes)],
            ["Encryption", Sealing.Summary(db)],
        ], "summary");
    }

    /// <summary>The directory of an encrypted database inspected without its key: all that can be shown.</summary>
    private static XElement Files(DatabaseInfo db) => new(H + "section", new XAttribute("class", "files"),
        new XElement(H + "h2", "Files"),
        Table(["File", "Kind", "Size", "Encryption"], [.. db.Files.Select(f => new[] { f.FileName, f.Kind, Sizes.Format(f.Size), Sealing.Of(f) })], "files"));

    private static XElement Family(ColumnFamilyInfo cf, ByteFormat format)
    {
        var rows = cf.Levels.Select(l => new[]
        {
            "L" + l.Level.ToString(CultureInfo.InvariantCulture),
            l.Files.Count.ToString(CultureInfo.InvariantCulture),
            Sizes.Format(l.Bytes),
            l.Files.Sum(f => f.Entries).ToString("N0", CultureInfo.InvariantCulture),
            l.Files.Sum(f => f.Deletions).ToString("N0", CultureInfo.InvariantCulture),
            l.Files.Sum(f => f.RangeDeletions).ToString("N0", CultureInfo.InvariantCulture),
            Ratio(l.Files),
            Sizes.Format(l.Files.Sum(f => f.FilterSize)),
        }).ToList();
        var fileRows = cf.Levels.SelectMany(l => l.Files).Select(f => new[]
        {
            f.FileName, "L" + f.Level.ToString(CultureInfo.InvariantCulture), Sizes.Format(f.FileSize),
            f.KeyRangeHidden ? Hidden : ByteText.Format(f.SmallestKey, format), f.KeyRangeHidden ? Hidden : ByteText.Format(f.LargestKey, format),
            string.Create(CultureInfo.InvariantCulture, $"{f.SmallestSequence}..{f.LargestSequence}"),
            f.Entries.ToString("N0", CultureInfo.InvariantCulture), f.Deletions.ToString("N0", CultureInfo.InvariantCulture),
            f.CompressionRatio.ToString("F2", CultureInfo.InvariantCulture), Sealing.Of(f), f.Error ?? "",
        }).ToList();
        return new XElement(H + "section", new XAttribute("class", "column-family"), new XAttribute("data-name", cf.Name),
            new XElement(H + "h2", $"Column family \u201c{cf.Name}\u201d (id {cf.Id})"),
            new XElement(H + "h3", "Level sizes"),
            LevelChart(cf),
            Table(["Level", "Files", "Size", "Entries", "Deletions", "Range deletions", "Compression", "Bloom filters"], rows, "levels"),
            new XElement(H + "h3", "File key ranges"),
            // The key ranges of an encrypted family are never shown.
            cf.Encrypted ? new XElement(H + "p", "Encrypted column family: its key ranges are not shown.") : KeyRangeChart(cf, format),
            fileRows.Count == 0 ? new XElement(H + "p", "No tables yet: everything is in the memtable and the write-ahead log.")
                : Table(["File", "Level", "Size", "Smallest key", "Largest key", "Sequences", "Entries", "Deletions", "Compression", "Encryption", "Error"], fileRows, "files"));
    }

    private const string Hidden = "(encrypted)";

    private static string Ratio(IReadOnlyList<TableFileInfo> files)
    {
        long stored = files.Sum(f => f.DataSize), raw = files.Sum(f => f.UncompressedDataSize);
        return stored == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"{(double)raw / stored:F2}x");
    }

    /// <summary>One horizontal bar per level, length proportional to its bytes.</summary>
    private static XElement LevelChart(ColumnFamilyInfo cf)
    {
        const int labelWidth = 40, barWidth = 560, rowHeight = 24, textWidth = 100;
        long max = Math.Max(1, cf.Levels.Max(l => l.Bytes));
        var svg = Svg(labelWidth + barWidth + textWidth, rowHeight * cf.Levels.Count + 8, "level-chart", $"Bytes per level of column family {cf.Name}");
        foreach (var l in cf.Levels)
        {
            int y = 4 + l.Level * rowHeight;
            double w = l.Bytes == 0 ? 0 : Math.Max(1, (double)l.Bytes / max * barWidth);
            svg.Add(
                SvgText(4, y + 16, "L" + l.Level.ToString(CultureInfo.InvariantCulture)),
                new XElement(S + "rect",
                    new XAttribute("class", "level-bar"), Attr("data-level", l.Level), Attr("data-bytes", l.Bytes), Attr("data-files", l.Files.Count),
                    Attr("x", labelWidth), Attr("y", y + 3), Attr("width", w), Attr("height", rowHeight - 6), new XAttribute("fill", LevelColors[l.Level % LevelColors.Length]),
                    new XElement(S + "title", string.Create(CultureInfo.InvariantCulture, $"L{l.Level}: {l.Files.Count} files, {l.Bytes:N0} bytes"))),
                SvgText(labelWidth + w + 6, y + 16, string.Create(CultureInfo.InvariantCulture, $"{Sizes.Format(l.Bytes)} ({l.Files.Count} files)")));
        }
        return svg;
    }

    /// <summary>
    /// Each level a row, each table a box spanning its key range. Keys are placed by rank among
    /// all table boundaries, so the picture shows overlap and gaps whatever the key distribution.
    /// </summary>
    private static XElement KeyRangeChart(ColumnFamilyInfo cf, ByteFormat format)
    {
        const int labelWidth = 40, width = 660, rowHeight = 26;
        var files = cf.Levels.SelectMany(l => l.Files).ToList();
        var bounds = files.SelectMany(f => new[] { f.SmallestKey, f.LargestKey }).Distinct(ByteArrayComparer.Instance).Order(ByteArrayComparer.Instance).ToList();
        var rank = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        for (int i = 0; i < bounds.Count; i++) rank[bounds[i]] = i;
        double Pos(byte[] key) => bounds.Count <= 1 ? 0 : (double)rank[key] / (bounds.Count - 1) * (width - 4);
        var svg = Svg(labelWidth + width, rowHeight * cf.Levels.Count + 24, "key-range-chart", $"Key ranges of the tables of column family {cf.Name}");
        foreach (var l in cf.Levels)
        {
            int y = 4 + l.Level * rowHeight;
            svg.Add(SvgText(4, y + 17, "L" + l.Level.ToString(CultureInfo.InvariantCulture)),
                new XElement(S + "line", Attr("x1", labelWidth), Attr("x2", labelWidth + width), Attr("y1", y + rowHeight - 2), Attr("y2", y + rowHeight - 2), new XAttribute("stroke", "#eee")));
            int stack = 0;
            foreach (var f in l.Files)
            {
                double x = labelWidth + Pos(f.SmallestKey);
                double w = Math.Max(3, Pos(f.LargestKey) - Pos(f.SmallestKey));
                int inset = l.Level == 0 ? (stack++ % 3) * 4 : 0; // overlapping level-0 tables stay visible
                svg.Add(new XElement(S + "rect",
                    new XAttribute("class", "table-range"), Attr("data-level", l.Level), new XAttribute("data-file", f.FileName), Attr("data-bytes", f.FileSize),
                    new XAttribute("data-smallest", ByteText.Format(f.SmallestKey, format)), new XAttribute("data-largest", ByteText.Format(f.LargestKey, format)),
                    Attr("x", x), Attr("y", y + 3 + inset), Attr("width", w), Attr("height", rowHeight - 10), new XAttribute("fill", LevelColors[l.Level % LevelColors.Length]),
                    new XAttribute("fill-opacity", "0.75"), new XAttribute("stroke", "#333"), new XAttribute("stroke-width", "0.5"),
                    new XElement(S + "title", $"{f.FileName} (L{f.Level}, {Sizes.Format(f.FileSize)}): {ByteText.Format(f.SmallestKey, format)} .. {ByteText.Format(f.LargestKey, format)}")));
            }
        }
        if (bounds.Count > 0)
        {
            int y = rowHeight * cf.Levels.Count + 18;
            svg.Add(SvgText(labelWidth, y, Shorten(ByteText.Format(bounds[0], format))),
                new XElement(S + "text", Attr("x", labelWidth + width), Attr("y", y), new XAttribute("text-anchor", "end"), Shorten(ByteText.Format(bounds[^1], format))));
        }
        return svg;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    internal static XElement Svg(int width, int height, string cssClass, string label)
        => new(S + "svg", new XAttribute("xmlns", S.NamespaceName), new XAttribute("class", cssClass), Attr("width", width), Attr("height", height),
            new XAttribute("viewBox", string.Create(CultureInfo.InvariantCulture, $"0 0 {width} {height}")), new XAttribute("role", "img"), new XAttribute("aria-label", label));

    internal static XElement SvgText(double x, double y, string text) => new(S + "text", Attr("x", x), Attr("y", y), text);

    internal static XAttribute Attr(string name, double value) => new(name, value.ToString("0.##", CultureInfo.InvariantCulture));

    internal static XElement Table(string[] headers, IEnumerable<string[]> rows, string cssClass)
        => new(H + "table", new XAttribute("class", cssClass),
            new XElement(H + "thead", new XElement(H + "tr", headers.Select((h, i) => new XElement(H + "th", i == 0 ? new XAttribute("class", "l") : null, h)))),
            new XElement(H + "tbody", rows.Select(r => new XElement(H + "tr", r.Select((c, i) => new XElement(H + "td", i == 0 ? new XAttribute("class", "l") : null, c))))));

    private static XElement Logs(DatabaseInfo db) => new(H + "section",
        new XElement(H + "h2", "Write-ahead logs"),
        db.LogFiles.Count == 0 ? new XElement(H + "p", "None.")
            : Table(["File", "Size"], db.LogFiles.Select(l => new[] { l.FileName, Sizes.Format(l.Size) }), "logs"));

    private sealed class ByteArrayComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var h = new HashCode();
            h.AddBytes(obj);
            return h.ToHashCode();
        }
    }
}
