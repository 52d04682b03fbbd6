using System.Runtime.InteropServices;

namespace LatticeKV.Io;

/// <summary>
/// Zeroed memory outside the managed heap, for the engine's few large arrays whose lifetime it
/// knows exactly (a memtable's arena, hash index and sorted runs, a table builder's key hashes,
/// an open table's index fences and bloom filter). On the
/// managed heap such arrays land on the large object heap, which only a full collection sweeps:
/// one dropped there stays resident until then, and pooling them instead keeps what the pool
/// holds resident for good. Here a block is given back the moment its owner frees it: on Linux
/// a large block is its own anonymous mapping, and unmapping it leaves the resident set at once
/// (the C heap could keep a freed block mapped for reuse: glibc raises its mapping threshold to
/// the size of each mapped block freed); small blocks and other systems use the C heap.
/// Blocks of 2 MiB and more ask for transparent huge pages, so that a fresh block faults in
/// 2 MiB at a time rather than page by page: a memtable's slot table is thousands of pages,
/// faulted in by the writer, which is why freed blocks need not be kept for reuse.
/// Fresh memory reads as zero either way. Thread-safe.
/// </summary>
internal static unsafe class OffHeap
{
    /// <summary>Blocks of at least this many bytes are mapped on their own (Linux); smaller ones come from the C heap, where a system call per block would cost more than they hold.</summary>
    public const int MapThreshold = 256 * 1024;

    private static long s_bytes;

    /// <summary>Bytes allocated and not yet freed, process-wide.</summary>
    public static long Bytes => Volatile.Read(ref s_bytes);

    /// <summary>
    /// <paramref name="bytes"/> (more than 0) of zeroed memory, which the caller frees with
    /// <see cref="Free"/> and the same size. Throws <see cref="OutOfMemoryException"/> when the
    /// system refuses.
    /// </summary>
    public static void* AllocateZeroed(nuint bytes)
    {
        void* block;
        if (IsMapped(bytes))
        {
            block = NativeMethods.MapAnonymous(bytes);
            if (block == null) throw new OutOfMemoryException($"Mapping {bytes} bytes of anonymous memory failed.");
        }
        else
        {
            block = NativeMemory.AllocZeroed(bytes);
        }
        Interlocked.Add(ref s_bytes, (long)bytes);
        return block;
    }

    /// <summary>
    /// <paramref name="bytes"/> (more than 0) of memory whose contents are undefined, for a caller
    /// that writes all of it at once; freed with <see cref="Free"/> and the same size.
    /// </summary>
    public static void* Allocate(nuint bytes)
    {
        if (IsMapped(bytes)) return AllocateZeroed(bytes); // a fresh mapping is zero anyway
        void* block = NativeMemory.Alloc(bytes);
        Interlocked.Add(ref s_bytes, (long)bytes);
        return block;
    }

    /// <summary>Frees what <see cref="AllocateZeroed"/> or <see cref="Allocate"/> returned for the same <paramref name="bytes"/>; the block must not be touched afterwards.</summary>
    public static void Free(void* block, nuint bytes)
    {
        if (IsMapped(bytes))
        {
            // Refused only for an address or length this class never handed out.
            if (!NativeMethods.Unmap(block, bytes)) throw new InvalidOperationException($"Unmapping {bytes} bytes failed.");
        }
        else
        {
            NativeMemory.Free(block);
        }
        Interlocked.Add(ref s_bytes, -(long)bytes);
    }

    // Decided by the size alone, so that Free takes the same path as the allocation did.
    private static bool IsMapped(nuint bytes) => bytes >= MapThreshold && OperatingSystem.IsLinux();
}
