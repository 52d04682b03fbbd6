using System.Globalization;
using System.Xml.Linq;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// A grouped bar chart of ops/s per workload per engine, on a logarithmic axis (the workloads
/// span four orders of magnitude: fsync-bound writes to bloom-filtered misses). Self-contained SVG.
/// </summary>
public static class SvgChart
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";
    private static readonly string[] Colors = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

    public static string Render(IReadOnlyList<SuiteResult> suites, long num)
    {
        var workloads = suites.SelectMany(s => s.Results.Select(r => r.Workload)).Distinct().ToList();
        const int left = 70, top = 50, plotHeight = 320, barWidth = 14, groupGap = 18;
        int groupWidth = suites.Count * barWidth + groupGap;
        int width = left + workloads.Count * groupWidth + 20;
        int height = top + plotHeight + 110;
        double max = Math.Max(10, suites.SelectMany(s => s.Results).Select(r => r.OpsPerSecond).DefaultIfEmpty(10).Max());
        double decades = Math.Ceiling(Math.Log10(max));
        const double floor = 2; // 100 ops/s at the bottom of the axis
        double Y(double ops) => top + plotHeight - plotHeight * (Math.Log10(Math.Max(ops, 100)) - floor) / (decades - floor);
        string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

        var root = new XElement(Svg + "svg", new XAttribute("width", width), new XAttribute("height", height),
            new XAttribute("viewBox", $"0 0 {width} {height}"), new XAttribute("font-family", "sans-serif"), new XAttribute("font-size", 11),
            new XElement(Svg + "rect", new XAttribute("width", width), new XAttribute("height", height), new XAttribute("fill", "white")),
            new XElement(Svg + "text", new XAttribute("x", left), new XAttribute("y", 20), new XAttribute("font-size", 15), new XAttribute("font-weight", "bold"),
                string.Create(CultureInfo.InvariantCulture, $"ops/s per workload (N = {num:N0}; log scale, higher is better)")));
        for (double d = floor; d <= decades; d++)
        {
            double y = Y(Math.Pow(10, d));
            root.Add(new XElement(Svg + "line", new XAttribute("x1", left), new XAttribute("x2", width - 10), new XAttribute("y1", F(y)), new XAttribute("y2", F(y)), new XAttribute("stroke", "#ddd")),
                new XElement(Svg + "text", new XAttribute("x", left - 6), new XAttribute("y", F(y + 4)), new XAttribute("text-anchor", "end"), Label(Math.Pow(10, d))));
        }
        for (int w = 0; w < workloads.Count; w++)
        {
            int x0 = left + w * groupWidth + groupGap / 2;
            for (int e = 0; e < suites.Count; e++)
            {
                var r = suites[e].Results.FirstOrDefault(x => x.Workload == workloads[w]);
                if (r is null) continue;
                double y = Y(r.OpsPerSecond);
                root.Add(new XElement(Svg + "rect", new XAttribute("class", "bar"), new XAttribute("data-engine", suites[e].Engine), new XAttribute("data-workload", workloads[w]),
                    new XAttribute("data-ops", F(r.OpsPerSecond)), new XAttribute("x", x0 + e * barWidth), new XAttribute("y", F(y)), new XAttribute("width", barWidth - 2),
                    new XAttribute("height", F(top + plotHeight - y)), new XAttribute("fill", Colors[e % Colors.Length]),
                    new XElement(Svg + "title", string.Create(CultureInfo.InvariantCulture, $"{suites[e].Engine} {workloads[w]}: {r.OpsPerSecond:N0} ops/s"))));
            }
            double cx = x0 + suites.Count * barWidth / 2.0;
            root.Add(new XElement(Svg + "text", new XAttribute("transform", $"translate({F(cx)},{top + plotHeight + 10}) rotate(40)"), workloads[w]));
        }
        for (int e = 0; e < suites.Count; e++)
        {
            int lx = left + e * 110, ly = height - 18;
            root.Add(new XElement(Svg + "rect", new XAttribute("x", lx), new XAttribute("y", ly - 10), new XAttribute("width", 12), new XAttribute("height", 12), new XAttribute("fill", Colors[e % Colors.Length])),
                new XElement(Svg + "text", new XAttribute("x", lx + 16), new XAttribute("y", ly), suites[e].Engine));
        }
        return new XDocument(root).ToString();
    }

    private static string Label(double v) => v switch
    {
        >= 1e6 => string.Create(CultureInfo.InvariantCulture, $"{v / 1e6:0.#}M"),
        >= 1e3 => string.Create(CultureInfo.InvariantCulture, $"{v / 1e3:0.#}k"),
        _ => v.ToString("0", CultureInfo.InvariantCulture),
    };
}
