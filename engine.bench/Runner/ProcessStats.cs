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

    /// <summary>
    /// Bytes this process dirtied for storage (write_bytes), counting those of files deleted before
    /// they reached the disk (a log dropped after its flush): every byte an LSM writes, as write
    /// amplification counts them. <see cref="BytesWritten"/> subtracts those.
    /// </summary>
    public static long BytesDirtied() => ReadFields("/proc/self/io").GetValueOrDefault("write_bytes");

    /// <summary>
    /// This process's read and write counters from /proc/self/io, named <c>proc.rchar</c>,
    /// <c>proc.wchar</c> (bytes through read/write calls), <c>proc.read-bytes</c>,
    /// <c>proc.write-bytes</c> (bytes to and from storage); empty elsewhere.
    /// </summary>
    public static IEnumerable<(string Name, long Value)> IoCounters()
    {
        var io = ReadFields("/proc/self/io");
        foreach (var (field, name) in s_ioFields)
            if (io.TryGetValue(field, out long v)) yield return (name, v);
    }

    private static readonly (string Field, string Name)[] s_ioFields =
        [("rchar", "proc.rchar"), ("wchar", "proc.wchar"), ("read_bytes", "proc.read-bytes"), ("write_bytes", "proc.write-bytes")];

    /// <summary>
    /// Milliseconds on the CPU (user and kernel) of this process's live threads, summed by thread
    /// name (the kernel's comm: the main thread and unnamed ones are "dotnet"), from each thread's
    /// schedstat; empty elsewhere. A thread that ended is no longer counted.
    /// </summary>
    public static Dictionary<string, long> ThreadCpuMsByName()
        => ThreadStatsByName().ToDictionary(kv => kv.Key, kv => kv.Value.CpuNs / 1_000_000, StringComparer.Ordinal);

    /// <summary>
    /// Per live thread, summed by thread name as <see cref="ThreadCpuMsByName"/> does: its kernel
    /// time in milliseconds (stime, at the clock tick's resolution) and its minor page faults, from
    /// each thread's stat; empty elsewhere. They tell whether a thread slowed by another's work ran
    /// more kernel code (faults) or the same code more slowly.
    /// </summary>
    public static Dictionary<string, (long SysMs, long MinorFaults)> ThreadKernelStatsByName()
        => ThreadStatsByName().ToDictionary(kv => kv.Key, kv => (kv.Value.SysMs, kv.Value.MinorFaults), StringComparer.Ordinal);

    private static Dictionary<string, (long CpuNs, long SysMs, long MinorFaults)> ThreadStatsByName()
    {
        var stats = new Dictionary<string, (long CpuNs, long SysMs, long MinorFaults)>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                    var first = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0];
                    if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out long cpuNs)) continue;
                    string stat = File.ReadAllText(Path.Combine(task, "stat"));
                    // Fields after the parenthesised comm, from state (field 3): minflt is field 10, stime field 15.
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    long minflt = long.Parse(fields[7], CultureInfo.InvariantCulture);
                    long sysMs = long.Parse(fields[12], CultureInfo.InvariantCulture) * 1000 / ClockTicksPerSecond;
                    var (c0, s0, f0) = stats.GetValueOrDefault(name);
                    stats[name] = (c0 + cpuNs, s0 + sysMs, f0 + minflt);
                }
                catch (IOException) { } // the thread ended meanwhile
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return stats;
    }

    // USER_HZ: the unit of /proc's tick counts, 100 on every Linux architecture .NET runs on.
    private const long ClockTicksPerSecond = 100;

    /// <summary>
    /// Machine-wide counters another process or the host can move: milliseconds the hypervisor
    /// ran something else on this machine's CPUs (<c>sys.steal-ms</c>, from /proc/stat) and the
    /// TLB-shootdown interrupts the CPUs received (<c>sys.tlb-shootdowns</c>), the devices'
    /// interrupts (<c>sys.device-irqs</c>, a disk's completions among them; both from /proc/interrupts) and the
    /// time the tick found the CPUs in interrupt handlers (<c>sys.irq-ms</c>); empty elsewhere.
    /// </summary>
    public static IEnumerable<(string Name, long Value)> MachineCounters()
    {
        if (!File.Exists("/proc/stat")) yield break;
        var cpu = File.ReadLines("/proc/stat").FirstOrDefault(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var fields = cpu?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal
        if (fields is { Length: > 8 } && long.TryParse(fields[8], CultureInfo.InvariantCulture, out long steal))
            yield return ("sys.steal-ms", steal * 1000 / ClockTicksPerSecond);
        if (fields is { Length: > 8 } && long.TryParse(fields[6], CultureInfo.InvariantCulture, out long irq) && long.TryParse(fields[7], CultureInfo.InvariantCulture, out long softirq))
            yield return ("sys.irq-ms", (irq + softirq) * 1000 / ClockTicksPerSecond);
        long device = 0;
        string? tlb = null;
        if (File.Exists("/proc/interrupts"))
            foreach (var line in File.ReadLines("/proc/interrupts"))
            {
                var trimmed = line.TrimStart();
                if (trimmed.StartsWith("TLB:", StringComparison.Ordinal)) tlb = trimmed;
                else if (trimmed.Length > 0 && char.IsAsciiDigit(trimmed[0])) device += SumCounts(trimmed[(trimmed.IndexOf(':') + 1)..]);
            }
        yield return ("sys.device-irqs", device);
        if (tlb is not null) yield return ("sys.tlb-shootdowns", SumCounts(tlb[4..]));
    }

    // The per-CPU counts that open a line of /proc/interrupts (after its label).
    private static long SumCounts(string counts)
    {
        long sum = 0;
        foreach (var part in counts.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!long.TryParse(part, CultureInfo.InvariantCulture, out long n)) break;
            sum += n;
        }
        return sum;
    }

    /// <summary>Peak resident set size (VmHWM) since the process started or <see cref="ResetPeakRss"/>.</summary>
    public static long PeakRss() => ReadFields("/proc/self/status").GetValueOrDefault("VmHWM") * 1024;

    /// <summary>
    /// Starts a new peak for the workload about to run, the same way for every engine: a full,
    /// compacting collection that returns the managed heap's free memory to the system (so one
    /// workload's heap is not counted in the next one's peak; native engines' memory is theirs
    /// either way), then a reset of VmHWM to the current RSS (the kernel does that when "5" is
    /// written to clear_refs).
    /// </summary>
    public static void ResetPeakRss()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        try { File.WriteAllText("/proc/self/clear_refs", "5"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

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

    /// <summary>Blocks allocated on disk for every file under <paramref name="path"/> (st_blocks × 512, as du counts), 0 where stat is unavailable.</summary>
    public static long AllocatedBytes(string path)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(path)) return 0;
        long total = 0;
        var buffer = new byte[256];
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            // st_blocks (512-byte units) sits at offset 64 of struct stat on Linux x64 and arm64 alike.
            if (Stat(file, buffer) == 0) total += BitConverter.ToInt64(buffer, 64) * 512;
        }
        return total;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, byte[] buffer);

    public static long DirectorySize(string path)
        => Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
}
