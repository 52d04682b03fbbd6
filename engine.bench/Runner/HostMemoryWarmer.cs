using System.Globalization;
using System.Runtime.InteropServices;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// Diagnostics only: touches and frees LKV_BENCH_PREFAULT_MB megabytes of fresh anonymous memory
/// just before a workload that starts from an empty database (the fills), so its own fresh memory (memtables, the page cache of logs,
/// tables and backups) comes from pages the host backs at that moment. In a virtual machine that
/// reports free memory to its host (free page reporting), a guest page freed a while ago may have
/// been returned to the host, and its next first touch then waits for the host to fault it in
/// again: a round that happens to reach such pages runs slower whatever the engine does. Unset
/// (the default): nothing is touched. Linux only.
/// </summary>
internal static partial class HostMemoryWarmer
{
    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static unsafe partial int Munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static unsafe partial int Madvise(void* address, nuint length, int advice);

    private const int ProtReadWrite = 3, MapPrivateAnonymous = 0x22, MadvHugePage = 14;

    /// <summary>Touches and frees the configured amount; returns the milliseconds it took (0 when off).</summary>
    public static unsafe double Run()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("LKV_BENCH_PREFAULT_MB") is not { Length: > 0 } text) return 0;
        nuint length = (nuint)long.Parse(text, CultureInfo.InvariantCulture) << 20;
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        byte* p = (byte*)Mmap(null, length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (p == (byte*)-1) return 0;
        Madvise(p, length, MadvHugePage);
        for (nuint at = 0; at < length; at += 4096) p[at] = 1;
        Munmap(p, length);
        return System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}
