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
