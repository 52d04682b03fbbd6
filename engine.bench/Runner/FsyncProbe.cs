using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// The machine's own rate of small appends each followed by an fsync (fdatasync through
/// <see cref="RandomAccess.FlushToDisk"/>): the ceiling for any engine's fillsync.
/// </summary>
public static class FsyncProbe
{
    public static double AppendsPerSecond(string dir, TimeSpan duration)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "fsync-probe");
        var record = new byte[116];
        long n = 0;
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < duration)
            {
                RandomAccess.Write(handle, record, n * record.Length);
                RandomAccess.FlushToDisk(handle);
                n++;
            }
            return n / sw.Elapsed.TotalSeconds;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
