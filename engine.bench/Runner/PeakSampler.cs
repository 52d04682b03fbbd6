using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// A diagnosis aid for a workload's peak resident set, off unless the environment variable
/// <c>LKV_PEAKSAMPLE</c> names a file. While it runs, a thread reads /proc/self/status every
/// <see cref="Interval"/>; each time the resident set passes the largest seen so far by
/// <see cref="Step"/>, it takes a full picture (the status split, /proc/self/smaps summed by
/// kind of mapping, the managed heap, the engine's off-heap bytes, both block-cache tiers and
/// their array pools, the memtables), so the last picture taken is the one nearest the peak.
/// It also keeps a line a second (timeline). Both are appended to the file when it is disposed.
/// Only the sampler's own thread reads the engine, through counters that are safe to read
/// concurrently; it allocates a few kilobytes per picture, none per read or write.
/// </summary>
public sealed class PeakSampler : IDisposable
{
    private static readonly string? s_path = Environment.GetEnvironmentVariable("LKV_PEAKSAMPLE");
    private static LatticeDb? s_db;

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);
    private const long Step = 4L << 20;

    private readonly string _title;
    private readonly Thread _thread;
    private readonly StringBuilder _timeline = new();
    private volatile bool _stop;
    private string _atPeak = "(no picture)";
    private long _peak;

    private PeakSampler(string title)
    {
        _title = title;
        // Written at once, so that a profiler waiting for the file knows the workload has begun.
        File.AppendAllText(s_path!, string.Create(CultureInfo.InvariantCulture, $"== {title}: started {DateTime.UtcNow:HH:mm:ss.fff}, pid {Environment.ProcessId}\n"));
        _thread = new Thread(Loop) { IsBackground = true, Name = "bench-peaksample" };
        _thread.Start();
    }

    /// <summary>The database whose engine counters the pictures report (LatticeKV only).</summary>
    public static void Attach(LatticeDb db)
    {
        if (s_path is not null) s_db = db;
    }

    /// <summary>A running sampler, or null when <c>LKV_PEAKSAMPLE</c> is not set.</summary>
    public static PeakSampler? Start(string title) => s_path is null ? null : new PeakSampler(title);

    private void Loop()
    {
        var started = DateTime.UtcNow;
        var nextLine = started;
        while (!_stop)
        {
            long rss = StatusKb("VmRSS") << 10;
            if (rss > _peak)
            {
                if (rss >= _peak + Step || _peak == 0) _atPeak = Picture(rss);
                _peak = rss;
            }
            var now = DateTime.UtcNow;
            if (now >= nextLine)
            {
                _timeline.AppendLine(CultureInfo.InvariantCulture, $"  t={(now - started).TotalSeconds,5:F1}s {Brief()}");
                nextLine = now + TimeSpan.FromSeconds(1);
            }
            Thread.Sleep(Interval);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"== {_title}: largest VmRSS sampled {_peak >> 20} MB; VmHWM {StatusKb("VmHWM") >> 10} MB");
        s.AppendLine("picture at the last step of the peak:");
        s.Append(_atPeak);
        s.AppendLine("timeline (a line a second):");
        s.Append(_timeline);
        File.AppendAllText(s_path!, s.ToString());
    }

    private static string Brief()
    {
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        string engine = "";
        if (s_db is { } db)
        {
            var tiers = db.Tables.Options.Tiers;
            engine = tiers is null ? "" : string.Create(CultureInfo.InvariantCulture,
                $", cache {(tiers.Decompressed.Usage + tiers.Decompressed.PinnedUsage + tiers.Compressed.Usage) >> 20} MB, off-heap {Io.OffHeap.Bytes >> 20} MB, memtables {Mb(db.GetProperty("lattice.cur-size-all-mem-tables"))} MB");
        }
        return string.Create(CultureInfo.InvariantCulture,
            $"VmRSS {StatusKb("VmRSS") >> 10} MB (anon {StatusKb("RssAnon") >> 10}, file {StatusKb("RssFile") >> 10}), GC heap now {GC.GetTotalMemory(false) >> 20} MB, after last GC {gc.HeapSizeBytes >> 20} MB, committed {gc.TotalCommittedBytes >> 20} MB{engine}");
    }

    private static string Picture(long rss)
    {
        var c = CultureInfo.InvariantCulture;
        var s = new StringBuilder();
        s.AppendLine(c, $"  at {DateTime.UtcNow:HH:mm:ss.fff}: VmRSS {rss >> 20} MB = RssAnon {StatusKb("RssAnon") >> 10} + RssFile {StatusKb("RssFile") >> 10} + RssShmem {StatusKb("RssShmem") >> 10} MB");
        foreach (var (kind, kb) in SmapsByKind().OrderByDescending(x => x.Value))
            s.AppendLine(c, $"    smaps {kind}: {kb >> 10} MB");
        var gc = GC.GetGCMemoryInfo(GCKind.Any);
        s.AppendLine(c, $"  GC now: GetTotalMemory {GC.GetTotalMemory(false) >> 20} MB; collections gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)}");
        s.Append(c, $"  GC after the last collection (#{gc.Index}, gen{gc.Generation}): heap {gc.HeapSizeBytes >> 20} MB, fragmented {gc.FragmentedBytes >> 20} MB, committed {gc.TotalCommittedBytes >> 20} MB, promoted {gc.PromotedBytes >> 20} MB;");
        string[] names = ["gen0", "gen1", "gen2", "LOH", "POH"];
        for (int i = 0; i < gc.GenerationInfo.Length && i < names.Length; i++)
            s.Append(c, $" {names[i]} {gc.GenerationInfo[i].SizeAfterBytes >> 20} (frag {gc.GenerationInfo[i].FragmentationAfterBytes >> 20})");
        s.AppendLine();
        s.AppendLine(c, $"  off-heap (OffHeap.Bytes): {Io.OffHeap.Bytes >> 20} MB");
        if (s_db is { } db)
        {
            if (db.Tables.Options.Tiers is { } tiers)
            {
                s.AppendLine(c, $"  cache decompressed: usage {tiers.Decompressed.Usage >> 20} MB in {tiers.Decompressed.Count} blocks, pinned {tiers.Decompressed.PinnedUsage >> 20} MB, capacity {tiers.Decompressed.Capacity >> 20} MB; pool {tiers.Arrays.Bytes >> 20} MB");
                s.AppendLine(c, $"  cache compressed: usage {tiers.Compressed.Usage >> 20} MB in {tiers.Compressed.Count} blocks, capacity {tiers.Compressed.Capacity >> 20} MB; pool {tiers.Buffers.Bytes >> 20} MB, allocated {tiers.Buffers.AllocatedBytes >> 20} MB");
                s.AppendLine(c, $"  cache since open: decompressed hits {tiers.Decompressed.Hits} misses {tiers.Decompressed.Misses}; compressed hits {tiers.Compressed.Hits} misses {tiers.Compressed.Misses}");
            }
            s.AppendLine(c, $"  memtables: {Mb(db.GetProperty("lattice.cur-size-all-mem-tables"))} MB, immutable {db.GetProperty("lattice.num-immutable-mem-table")}, level 0 files {db.GetProperty("lattice.num-files-at-level0")}, open tables {db.Tables.OpenCount}");
        }
        return s.ToString();
    }

    private static long Mb(string? bytes) => long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out long b) ? b >> 20 : -1;

    /// <summary>Resident kilobytes by kind of mapping: anonymous, the database's logs and tables, other files.</summary>
    private static Dictionary<string, long> SmapsByKind()
    {
        var kb = new Dictionary<string, long>(StringComparer.Ordinal);
        string kind = "anonymous";
        try
        {
            foreach (var line in File.ReadLines("/proc/self/smaps"))
            {
                if (IsHeader(line))
                {
                    kind = Kind(line);
                    continue;
                }
                if (line.StartsWith("Rss:", StringComparison.Ordinal))
                    kb[kind] = kb.GetValueOrDefault(kind) + long.Parse(line[4..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException) { }
        return kb;
    }

    // A mapping's header: "start-end perms offset dev inode [path]"; field lines are "Name: value".
    private static bool IsHeader(string line)
    {
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && line.AsSpan(0, space).Contains('-') && !line.AsSpan(0, space).EndsWith(":");
    }

    private static string Kind(string header)
    {
        var parts = header.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        string path = parts.Length >= 6 ? parts[5].Trim() : "";
        if (path.Length == 0) return "anonymous";
        if (path.EndsWith(".log", StringComparison.Ordinal)) return "file *.log";
        if (path.EndsWith(".sst", StringComparison.Ordinal) || path.EndsWith(".ldb", StringComparison.Ordinal)) return "file tables";
        if (path.StartsWith('[')) return path; // [heap], [stack], [vdso]...
        if (path.Contains("/dev/shm", StringComparison.Ordinal) || path.Contains("doublemapper", StringComparison.Ordinal)) return "shared (" + Path.GetFileName(path) + ")";
        return "file other";
    }

    private static long StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }
}
