using System.Globalization;

namespace LatticeKV.Bench.Runner;

/// <summary>Linux process counters from /proc/self (zero elsewhere).</summary>
public static class ProcessStats
{
    /// <summary>Bytes this process caused to be written to storage (write_bytes − cancelled_write_bytes); falls back to wchar on file systems that do not count write_bytes.</summary>
    public static long BytesWritten()
    {
        var io = ReadFields("/proc/self/io");
        long storage = io.GetValueOrDefault("write_bytes") - io.GetValueOrDefault("cancelled_write_bytes");
        return storage > 0 ? storage : io.GetValueOrDefault("wchar");
    }

    /// <summary>Peak resident set size (VmHWM).</summary>
    public static long PeakRss() => ReadFields("/proc/self/status").GetValueOrDefault("VmHWM") * 1024;

    private static Dictionary<string, long> ReadFields(string path)
    {
        var result = new Dictionary<string, long>();
        if (!File.Exists(path)) return result;
        foreach (var line in File.ReadAllLines(path))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) continue;
            var value = line[(colon + 1)..].Trim().Split(' ')[0];
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long v)) result[line[..colon]] = v;
        }
        return result;
    }

    public static long DirectorySize(string path)
        => Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
}
