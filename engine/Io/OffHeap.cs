using System.Runtime.InteropServices;

namespace LatticeKV.Io;

/// <summary>
/// Zeroed memory outside the managed heap, for the engine's few large arrays whose lifetime it
/// knows exactly (a memtable's hash index and sorted runs, a table builder's key hashes). On the
/// managed heap such arrays land on the large object heap, which only a full collection sweeps:
/// one dropped there stays resident until then, and pooling them instead keeps what the pool
/// holds resident for good. Here a block is given back the moment its owner frees it: on Linux
/// a large block is its own anonymous mapping (the C heap could keep a freed block mapped for
/// reuse: glibc raises its mapping threshold to the size of each mapped block freed), and
/// unmapping it leaves the resident set at once, except for the few freed blocks
/// <see cref="Cache"/> keeps, at most <see cref="CacheCapacity"/> bytes, so that the next
/// memtable does not fault in its slot table page by page; small blocks and other systems use
/// the C heap. Memory handed out reads as zero either way. Thread-safe.
/// </summary>
internal static unsafe class OffHeap
{
    /// <summary>Blocks of at least this many bytes are mapped on their own (Linux); smaller ones come from the C heap, where a system call per block would cost more than they hold.</summary>
    public const int MapThreshold = 256 * 1024;

    /// <summary>
    /// Bytes of freed mapped blocks kept for reuse, process-wide: what the memtables of a
    /// 64 MiB write buffer and their flushes take in turn (slot tables, sorted runs, sort scratch,
    /// key hashes), in the blocks' power-of-two sizes, so that a steady writer maps nothing new.
    /// </summary>
    public const long CacheCapacity = 96L << 20;

    private static long s_bytes;

    /// <summary>Freed mapped blocks kept for reuse.</summary>
    internal static MappedBlockCache Cache { get; } = new(CacheCapacity);

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
            nuint size = MappedBlockCache.SizeFor(bytes);
            block = (void*)Cache.TryTake(size);
            if (block != null)
            {
                NativeMemory.Clear(block, bytes); // a reused block holds its last owner's data
            }
            else
            {
                // Pages past the requested bytes are never touched, so never resident.
                block = NativeMethods.MapAnonymous(size);
                if (block == null) throw new OutOfMemoryException($"Mapping {size} bytes of anonymous memory failed.");
            }
        }
        else
        {
            block = NativeMemory.AllocZeroed(bytes);
        }
        Interlocked.Add(ref s_bytes, (long)bytes);
        return block;
    }

    /// <summary>Frees what <see cref="AllocateZeroed"/> returned for the same <paramref name="bytes"/>; the block must not be touched afterwards.</summary>
    public static void Free(void* block, nuint bytes)
    {
        if (IsMapped(bytes))
        {
            foreach (var (unused, size) in Cache.Add((nint)block, MappedBlockCache.SizeFor(bytes)))
            {
                // Refused only for an address or length this class never handed out.
                if (!NativeMethods.Unmap((void*)unused, size)) throw new InvalidOperationException($"Unmapping {size} bytes failed.");
            }
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
