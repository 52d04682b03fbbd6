using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// A diagnosis aid, off unless the environment variable <c>LKV_PHASEPEAKS</c> names a file: at
/// the boundaries of a workload (writes done, memtable flushed, background work done) appends
/// the process's resident set, its peak so far (VmHWM) and the managed heap's state to that
/// file, so that the phase in which the peak was set can be told apart from a sampler's view.
/// With <c>LKV_PHASEPEAKS_DETAIL=1</c> as well, each mark adds the managed heap by generation,
/// /proc/self/smaps_rollup, the memtables' size, and the allocations since the previous mark
/// (the runtime's allocation tick, about one event per 100 KB): large objects by type and size,
/// small ones by type; with <c>LKV_PHASEPEAKS_DETAIL=collect</c>, a full blocking collection after the
/// "operations done" mark, marked again, tells the live large objects from the dead ones. With
/// <c>LKV_PHASEPEAKS_PAUSE=&lt;ms&gt;</c> the workload waits that long after its "reset" mark, time
/// to take a heap dump of the process as the workload starts (dotnet-gcdump).
/// </summary>
public static class PhasePeaks
{
    private static readonly string? s_path = Environment.GetEnvironmentVariable("LKV_PHASEPEAKS");
    private static readonly string? s_detail = s_path is null ? null : Environment.GetEnvironmentVariable("LKV_PHASEPEAKS_DETAIL");
    private static readonly LargeAllocations? s_large = s_detail is null ? null : new LargeAllocations();
    private static LatticeDb? s_db;

    /// <summary>The database whose pools the detailed marks report.</summary>
    public static void Attach(LatticeDb db)
    {
        if (s_detail is not null) s_db = db;
    }

    /// <summary>Appends one line for <paramref name="phase"/> of <paramref name="workload"/>.</summary>
    public static void Mark(string workload, string phase)
    {
        if (s_path is null) return;
        Write(workload, phase);
        if (phase == "reset" && Environment.GetEnvironmentVariable("LKV_PHASEPEAKS_PAUSE") is { } pause) Thread.Sleep(int.Parse(pause, CultureInfo.InvariantCulture));
        if (s_detail == "collect" && phase == "operations done")
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: false);
            Write(workload, "after a full collection");
        }
    }

    private static void Write(string workload, string phase)
    {
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        long loh = gc.GenerationInfo.Length > 3 ? gc.GenerationInfo[3].SizeAfterBytes : 0;
        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.UtcNow:HH:mm:ss.fff} {workload} {phase}: VmRSS {Status("VmRSS")} MB, VmHWM {Status("VmHWM")} MB, RssAnon {Status("RssAnon")} MB, "
            + $"GC heap {gc.HeapSizeBytes >> 20} MB (LOH {loh >> 20}), committed {gc.TotalCommittedBytes >> 20} MB, collections gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}, "
            + $"off-heap {LatticeKV.Io.OffHeap.Bytes >> 20} MB"));
        if (s_detail is not null) Detail(text, gc);
        File.AppendAllText(s_path!, text.AppendLine().ToString());
    }

    private static void Detail(StringBuilder s, GCMemoryInfo gc)
    {
        var c = CultureInfo.InvariantCulture;
        s.AppendLine();
        s.Append(c, $"  smaps_rollup: Rss {Field("/proc/self/smaps_rollup", "Rss") >> 10}, Anonymous {Field("/proc/self/smaps_rollup", "Anonymous") >> 10}, AnonHugePages {Field("/proc/self/smaps_rollup", "AnonHugePages") >> 10}, ");
        s.AppendLine(c, $"file {(Field("/proc/self/status", "RssFile") >> 10)}, shmem {(Field("/proc/self/status", "RssShmem") >> 10)} MB");
        s.Append(c, $"  GC: last index {gc.Index} gen {gc.Generation}, GetTotalMemory {GC.GetTotalMemory(false) >> 20} MB, fragmented {gc.FragmentedBytes >> 20} MB;");
        string[] names = ["gen0", "gen1", "gen2", "LOH", "POH"];
        for (int i = 0; i < gc.GenerationInfo.Length && i < names.Length; i++)
            s.Append(c, $" {names[i]} {gc.GenerationInfo[i].SizeAfterBytes >> 20} (frag {gc.GenerationInfo[i].FragmentationAfterBytes >> 20})");
        s.AppendLine();
        if (s_db is { } db)
        {
            s.AppendLine(c, $"  memtables {db.GetProperty("lattice.cur-size-all-mem-tables")} bytes, immutable {db.GetProperty("lattice.num-immutable-mem-table")}");
        }
        s_large?.Describe(s);
    }

    private static long Status(string field) => Field("/proc/self/status", field) >> 10;

    // KiB.
    private static long Field(string path, string field)
    {
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>Allocations since the previous mark from the runtime's allocation tick: large objects by type and size, small ones by type.</summary>
    private sealed class LargeAllocations : EventListener
    {
        private readonly Dictionary<string, long> _bytes = [];

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is not "GCAllocationTick_V4" || e.Payload is null || e.PayloadNames is null) return;
            object? P(string n)
            {
                int i = e.PayloadNames.IndexOf(n);
                return i >= 0 ? e.Payload[i] : null;
            }
            int kind = Convert.ToInt32(P("AllocationKind"), CultureInfo.InvariantCulture);
            if (kind > 1) return;
            long amount = Convert.ToInt64(P("AllocationAmount64"), CultureInfo.InvariantCulture);
            long size = Convert.ToInt64(P("ObjectSize"), CultureInfo.InvariantCulture);
            string key = kind == 1 ? string.Create(CultureInfo.InvariantCulture, $"LOH {P("TypeName")} ~{size >> 10} KB")
                : string.Create(CultureInfo.InvariantCulture, $"small {P("TypeName")}");
            lock (_bytes) _bytes[key] = _bytes.GetValueOrDefault(key) + amount;
        }

        public void Describe(StringBuilder s)
        {
            lock (_bytes)
            {
                foreach (var (k, v) in _bytes.OrderByDescending(x => x.Value).Take(16))
                    s.AppendLine(CultureInfo.InvariantCulture, $"  allocated since the last mark: {k} {v >> 10} KB");
                _bytes.Clear();
            }
        }
    }
}
