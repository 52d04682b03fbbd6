using System.Diagnostics;
using System.Globalization;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace LatticeKV.Bench.Runner;

/// <summary>
/// <c>mmap-probe [--mb M] [--reads R] [--rounds K] [--collapse] [--heap-control] [--no-budgets] [--dir D]</c>: what fetching a
/// random 2–4 KiB block of a file held in the page cache costs through pread, and through a memory
/// map of the same file (its first pass, whose first touches are page faults; once mapped; with
/// each table-sized part of the map dropped with MADV_DONTNEED after so many bytes were copied out
/// of it, which bounds the resident set a map adds). Every fetch copies the bytes into a buffer and
/// checksums them (CRC-32), as a table read does. The methods alternate in short slices; the
/// report gives process CPU time per fetch, its medians and the per-slice ratios to pread.
/// </summary>
public static unsafe partial class MmapProbe
{
    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(void* address, nuint length, int advice);

    private const int MADV_DONTNEED = 4;
    private const int MADV_HUGEPAGE = 14;
    private const int MADV_COLLAPSE = 25;

    public static int Run(string[] args)
    {
        long mb = CompareCommand.LongArg(args, "--mb", 1024);
        int reads = (int)CompareCommand.LongArg(args, "--reads", 1_000_000);
        int rounds = (int)CompareCommand.LongArg(args, "--rounds", 5);
        string dir = CompareCommand.StringArg(args, "--dir", Path.GetTempPath());
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "mmap-probe.bin");
        long size = mb << 20;
        WriteFile(path, size);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var rnd = new Random(7);
        var offsets = new long[reads];
        var lengths = new int[reads];
        for (int i = 0; i < reads; i++)
        {
            lengths[i] = 2048 + rnd.Next(2049);
            offsets[i] = rnd.NextInt64(size - lengths[i]);
        }
        var buffer = new byte[8192];
        var results = new Dictionary<string, List<double>>();
        var faults = new Dictionary<string, double>();
        void Add(string name, (double Ns, double Faults) r)
        {
            (results.TryGetValue(name, out var l) ? l : results[name] = []).Add(r.Ns);
            faults[name] = faults.GetValueOrDefault(name) + r.Faults;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"file {mb} MiB, {reads:N0} reads per method and round, {rounds} rounds; CPU ns per read (minor faults per read)"));
        // Fine-grained alternation (a slice of each method in turn, many times) so that the other
        // processes on a shared machine weigh on every method alike.
        int slice = Math.Max(1, reads / 20);
        // Three maps of the file, one per mapped method, so that dropping one's pages leaves the
        // others' page tables as they were.
        using var map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var mapped = new View(map, size);
        using var budget16 = new View(map, size);
        using var budget4 = new View(map, size);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (RSS with fresh maps: {Environment.WorkingSet >> 20} MiB)"));
        if (args.Contains("--collapse"))
        {
            // Huge pages for the map: fewer TLB misses, if the kernel can map a file's cache with them.
            int advised = Madvise(mapped.Base, (nuint)size, MADV_HUGEPAGE);
            int collapsed = Madvise(mapped.Base, (nuint)size, MADV_COLLAPSE);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  MADV_HUGEPAGE {(advised == 0 ? "ok" : "errno " + Marshal.GetLastPInvokeError())}, MADV_COLLAPSE {(collapsed == 0 ? "ok" : "errno " + Marshal.GetLastPInvokeError())}"));
        }
        Time("mmap first pass", reads, () => CopyAll(mapped.Base, 0, reads, offsets, lengths, buffer, null, 0, size));
        // A control: the same fetches from a managed array (anonymous memory in 4 KiB pages), when asked for.
        byte[]? heap = null;
        if (args.Contains("--heap-control"))
        {
            heap = GC.AllocateUninitializedArray<byte>(checked((int)Math.Min(size, Array.MaxLength)));
            RandomAccess.Read(handle, heap, 0);
        }
        var copied16 = new long[(size + TableSize - 1) / TableSize];
        var copied4 = new long[copied16.Length];
        for (int round = 0; round < rounds; round++)
        {
            for (int from = 0; from + slice <= reads; from += slice)
            {
                // Each method reads its own part of the offsets (no method finds another's
                // bytes in the CPU's caches), and the order turns every slice.
                int part = from / slice;
                var methods = new (string Name, Action<int> Body)[]
                {
                    ("pread", s0 =>
                    {
                        for (int i = s0; i < s0 + slice; i++)
                        {
                            RandomAccess.Read(handle, buffer.AsSpan(0, lengths[i]), offsets[i]);
                            Crc32.HashToUInt32(buffer.AsSpan(0, lengths[i]));
                        }
                    }),
                    ("mmap mapped", s0 => CopyAll(mapped.Base, s0, slice, offsets, lengths, buffer, null, 0, size)),
                    ("mmap + DONTNEED/16MiB", s0 => CopyAll(budget16.Base, s0, slice, offsets, lengths, buffer, copied16, 16L << 20, size)),
                    ("mmap + DONTNEED/4MiB", s0 => CopyAll(budget4.Base, s0, slice, offsets, lengths, buffer, copied4, 4L << 20, size)),
                };
                if (args.Contains("--no-budgets")) methods = methods[..2];
                if (heap is not null)
                {
                    methods = [.. methods, ("heap array (control)", s0 =>
                    {
                        for (int i = s0; i < s0 + slice; i++)
                        {
                            if (offsets[i] + lengths[i] > heap.Length) continue;
                            heap.AsSpan((int)offsets[i], lengths[i]).CopyTo(buffer);
                            Crc32.HashToUInt32(buffer.AsSpan(0, lengths[i]));
                        }
                    })];
                }
                for (int k = 0; k < methods.Length; k++)
                {
                    var (name, body) = methods[(k + part) % methods.Length];
                    int s0 = rnd.Next(reads - slice);
                    Add(name, Time(name, slice, () => body(s0), quiet: true));
                }
            }
        }
        Console.WriteLine("medians of CPU time:");
        foreach (var (name, list) in results)
        {
            var sorted = list.Order().ToList();
            var ratios = list.Zip(results["pread"], (x, y) => x / y).Order().ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-24} {sorted[sorted.Count / 2],8:F0} ns, {faults[name] / list.Count:F3} faults/read (quartiles {sorted[sorted.Count / 4]:F0}-{sorted[sorted.Count * 3 / 4]:F0}); per-slice ratio to pread: median {ratios[ratios.Count / 2]:F2}, quartiles {ratios[ratios.Count / 4]:F2}-{ratios[ratios.Count * 3 / 4]:F2}"));
        }
        File.Delete(path);
        return 0;
    }

    // The file stands for tables of this size, each mapped on its own: a budget drops one table's pages.
    private const long TableSize = 64L << 20;

    private static void CopyAll(byte* b, int from, int reads, long[] offsets, int[] lengths, byte[] buffer, long[]? copied, long budget, long size)
    {
        for (int i = from; i < from + reads; i++)
        {
            new ReadOnlySpan<byte>(b + offsets[i], lengths[i]).CopyTo(buffer);
            Crc32.HashToUInt32(buffer.AsSpan(0, lengths[i]));
            long table = offsets[i] / TableSize;
            if (copied is not null && (copied[table] += lengths[i]) >= budget)
            {
                Madvise(b + table * TableSize, (nuint)Math.Min(TableSize, size - table * TableSize), MADV_DONTNEED);
                copied[table] = 0;
            }
        }
    }

    private static (double CpuNs, double Faults) Time(string name, int reads, Action body, bool quiet = false)
    {
        long faults0 = MinorFaults();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        body();
        double ns = sw.Elapsed.TotalNanoseconds / reads;
        // CPU time: on a shared machine the wall clock also counts the time other processes ran.
        double cpuNs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalNanoseconds / reads;
        double faults = (MinorFaults() - faults0) / (double)reads;
        if (!quiet) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-24} {ns,8:F0} ns wall {cpuNs,8:F0} ns CPU  ({faults:F3} faults/read)"));
        return (cpuNs, faults);
    }

    /// <summary>A read-only view of the whole map, its pointer held until disposed.</summary>
    private sealed class View : IDisposable
    {
        private readonly MemoryMappedViewAccessor _view;

        public View(MemoryMappedFile map, long size)
        {
            _view = map.CreateViewAccessor(0, size, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            Base = p + _view.PointerOffset;
        }

        public byte* Base { get; }

        public void Dispose()
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
    }

    private static long MinorFaults()
    {
        // /proc/self/stat field 10 is minflt.
        var fields = File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    private static void WriteFile(string path, long size)
    {
        var chunk = new byte[1 << 20];
        new Random(3).NextBytes(chunk);
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        for (long at = 0; at < size; at += chunk.Length) RandomAccess.Write(handle, chunk, at);
        // Read it back once so every page is in the page cache.
        for (long at = 0; at < size; at += chunk.Length) RandomAccess.Read(handle, chunk, at);
    }
}
