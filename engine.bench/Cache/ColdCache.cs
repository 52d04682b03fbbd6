using System.Runtime.InteropServices;

namespace LatticeKV.Bench.Cache;

/// <summary>
/// Makes the next reads of files come from the device: drops the kernel's page cache when the
/// process may (root, /proc/sys/vm/drop_caches writable), else advises the kernel to drop the
/// pages of the given directories' files (posix_fadvise DONTNEED, which needs no privilege but
/// only drops clean pages of those files).
/// </summary>
internal static class ColdCache
{
    private const int PosixFadvDontNeed = 4;

    [DllImport("libc", EntryPoint = "posix_fadvise", SetLastError = true)]
    private static extern int PosixFadvise(int fd, long offset, long length, int advice);

    [DllImport("libc", EntryPoint = "sync")]
    private static extern void SyncAll();

    /// <summary>How the cache was dropped ("drop_caches" or "fadvise"), for the report.</summary>
    public static string Drop(params string[] directories)
    {
        SyncAll();
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "1");
            return "drop_caches";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (var dir in directories)
                foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                {
                    using var handle = File.OpenHandle(file);
                    _ = PosixFadvise((int)handle.DangerousGetHandle(), 0, 0, PosixFadvDontNeed);
                }
            return "fadvise";
        }
    }
}
