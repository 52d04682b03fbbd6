using System.Globalization;

namespace LatticeKV.Tool.Report;

/// <summary>Human-readable byte counts.</summary>
public static class Sizes
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    public static string Format(long bytes)
    {
        double v = bytes;
        int u = 0;
        while (Math.Abs(v) >= 1024 && u < Units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{v:F1} {Units[u]}");
    }
}
