using System.Runtime.InteropServices;

namespace LatticeKV.Tests.Support;

/// <summary>Which file a name refers to: device and inode (st_dev, st_ino), equal for two hard links of one file (Linux only).</summary>
public static class FileIdentity
{
    /// <summary>The (device, inode) pair of <paramref name="path"/>.</summary>
    public static (ulong Device, ulong Inode) Of(string path)
    {
        // st_dev and st_ino are the first two 8-byte fields of struct stat on Linux x64 and arm64 alike.
        var buffer = new byte[256];
        if (Stat(path, buffer) != 0) throw new IOException($"stat '{path}' failed: errno {Marshal.GetLastPInvokeError()}");
        return (BitConverter.ToUInt64(buffer, 0), BitConverter.ToUInt64(buffer, 8));
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] buffer);
}
