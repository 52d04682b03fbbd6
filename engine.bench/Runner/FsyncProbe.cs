using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// The machine's own rate of small durable writes: 116-byte records each followed by an fsync
/// (<see cref="RandomAccess.FlushToDisk"/>), measured two ways: appending to a growing file (every
/// fsync also commits the new size) and overwriting a file whose blocks were written beforehand
/// (what a log with reserved space costs). The faster is the ceiling for any engine's fillsync.
/// </summary>
public static class FsyncProbe
{
    public sealed record Rates(double Appending, double Preallocated)
    {
        public double Ceiling => Math.Max(Appending, Preallocated);
    }

    public static Rates Measure(string dir, TimeSpan eachFor)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "fsync-probe");
        try
        {
            double appending = Run(path, eachFor, preallocate: false);
            double preallocated = Run(path, eachFor, preallocate: true);
            return new Rates(appending, preallocated);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static double Run(string path, TimeSpan duration, bool preallocate)
    {
        var record = new byte[116];
        const long Span = 16 << 20;
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        if (preallocate)
        {
            var zeros = new byte[1 << 20];
            for (long at = 0; at < Span; at += zeros.Length) RandomAccess.Write(handle, zeros, at);
            RandomAccess.FlushToDisk(handle);
        }
        long n = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < duration)
        {
            RandomAccess.Write(handle, record, n * record.Length % (Span - record.Length));
            RandomAccess.FlushToDisk(handle);
            n++;
        }
        return n / sw.Elapsed.TotalSeconds;
    }
}
