using System.Globalization;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// A diagnosis aid, off unless the environment variable <c>LKV_PHASEPEAKS</c> names a file: at
/// the boundaries of a workload (writes done, memtable flushed, background work done) appends
/// the process's resident set, its peak so far (VmHWM) and the managed heap's state to that
/// file, so that the phase in which the peak was set can be told apart from a sampler's view.
/// </summary>
public static class PhasePeaks
{
    private static readonly string? s_path = Environment.GetEnvironmentVariable("LKV_PHASEPEAKS");

    /// <summary>Appends one line for <paramref name="phase"/> of <paramref name="workload"/>.</summary>
    public static void Mark(string workload, string phase)
    {
        if (s_path is null) return;
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        long loh = gc.GenerationInfo.Length > 3 ? gc.GenerationInfo[3].SizeAfterBytes : 0;
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} {workload} {phase}: VmRSS {Status("VmRSS")} MB, VmHWM {Status("VmHWM")} MB, RssAnon {Status("RssAnon")} MB, "
            + $"GC heap {gc.HeapSizeBytes >> 20} MB (LOH {loh >> 20}), committed {gc.TotalCommittedBytes >> 20} MB, collections gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}, "
            + $"off-heap {LatticeKV.Io.OffHeap.Bytes >> 20} MB");
        File.AppendAllText(s_path, line + Environment.NewLine);
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) >> 10;
        return 0;
    }
}
