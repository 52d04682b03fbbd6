using System.Runtime.InteropServices;

namespace LatticeKV.Tests.Support;

/// <summary>Disk space as a user's disk sees it: allocated blocks (st_blocks), as du counts them.</summary>
public static class DiskUsage
{
    /// <summary>Allocated bytes of one file (Linux only).</summary>
    public static long AllocatedBytes(string path)
    {
        // st_blocks (512-byte units) sits at offset 64 of struct stat on Linux x64 and arm64 alike.
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0) throw new IOException($"stat '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
        return BitConverter.ToInt64(buffer, 64) * 512;
    }

    /// <summary>Allocated bytes of every file below <paramref name="directory"/>.</summary>
    public static long AllocatedBytesOfDirectory(string directory)
        => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(AllocatedBytes);

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);
}
