using System.Runtime.InteropServices;

namespace LatticeKV.Io;

/// <summary>
/// POSIX calls .NET does not expose: a directory can only be fsynced through a descriptor,
/// and File.OpenHandle refuses directories.
/// </summary>
internal static partial class NativeMethods
{
    private const int O_RDONLY = 0;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int Fallocate(int fd, int mode, long offset, long length);

    private const int FALLOC_FL_KEEP_SIZE = 1;
    private const int ENOSPC = 28;

    /// <summary>
    /// Reserves disk blocks for the first <paramref name="length"/> bytes without changing the
    /// file's size (FALLOC_FL_KEEP_SIZE), so growing the file within that range later cannot run
    /// out of space. Returns false where reservation is unsupported (the caller then avoids
    /// memory-mapped writes, whose out-of-space failure would be a SIGBUS).
    /// </summary>
    public static bool Reserve(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, long length)
    {
        if (!OperatingSystem.IsLinux()) return false;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            if (Fallocate((int)handle.DangerousGetHandle(), FALLOC_FL_KEEP_SIZE, 0, length) == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOSPC) throw new LatticeIOException($"Reserving {length} bytes for '{path}' failed: disk full", path, null, isDiskFull: true);
            return false;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    private const int PRIO_PROCESS = 0;

    /// <summary>
    /// Gives the calling thread a higher nice value (Linux schedules threads individually), so
    /// that compaction yields the CPU to the application's reads and writes when both want it.
    /// Best effort: elsewhere, or when refused, nothing changes.
    /// </summary>
    public static void LowerCurrentThreadPriority(int nice)
    {
        if (!OperatingSystem.IsLinux() || nice <= 0) return;
        try { _ = SetPriority(PRIO_PROCESS, GetTid(), nice); }
        catch (EntryPointNotFoundException) { }
        catch (DllNotFoundException) { }
    }

    /// <summary>fsync(2) on a directory so that renames and creates inside it are durable.</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) return; // NTFS journals directory metadata; there is no directory fsync.
        int fd = Open(path, O_RDONLY);
        if (fd < 0)
            throw new LatticeIOException($"Opening directory '{path}' for fsync failed (errno {Marshal.GetLastPInvokeError()}).", path);
        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new LatticeIOException($"fsync of directory '{path}' failed (errno {errno}).", path, null, errno == 28);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
