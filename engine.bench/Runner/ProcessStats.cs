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
    {
        var ns = new Dictionary<string, long>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    string name = File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n');
                    var first = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0];
                    if (long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out long v)) ns[name] = ns.GetValueOrDefault(name) + v;
                }
                catch (IOException) { } // the thread ended meanwhile
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return ns.ToDictionary(kv => kv.Key, kv => kv.Value / 1_000_000, StringComparer.Ordinal);
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
