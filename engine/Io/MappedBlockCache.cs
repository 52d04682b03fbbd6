using System.Numerics;

namespace LatticeKV.Io;

/// <summary>
/// Freed anonymous mappings kept for reuse, by size (a power of two), holding at most
/// <c>capacity</c> bytes. Giving memory back to the system and taking it again is not free: a
/// fresh page costs a fault, and on a virtual machine whose host takes freed guest memory back,
/// a far dearer one (see BENCHMARKS.md, peak memory); a memtable's slot table alone is thousands of
/// pages, faulted in by the writer. Reusing a few freed blocks keeps that cost off the write
/// path while bounding what stays resident for it. When full, a larger
/// block displaces smaller ones (the largest are the dearest to fault in again). Thread-safe.
/// </summary>
internal sealed class MappedBlockCache(long capacity)
{
    private readonly Lock _lock = new();
    // Guarded by _lock: free blocks by size, and their total.
    private readonly SortedDictionary<nuint, Stack<nint>> _free = [];
    private long _bytes;

    /// <summary>Bytes of blocks waiting to be reused.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>The size class of a request: blocks are mapped and kept in powers of two.</summary>
    public static nuint SizeFor(nuint bytes) => (nuint)BitOperations.RoundUpToPowerOf2((ulong)bytes);

    /// <summary>The address of a cached block of exactly <paramref name="size"/> bytes (its contents undefined), or 0.</summary>
    public nint TryTake(nuint size)
    {
        lock (_lock)
        {
            if (!_free.TryGetValue(size, out var stack) || !stack.TryPop(out nint block)) return 0;
            if (stack.Count == 0) _free.Remove(size);
            _bytes -= (long)size;
            return block;
        }
    }

    /// <summary>
    /// Keeps <paramref name="block"/> (<paramref name="size"/> bytes) for reuse. Returns the
    /// blocks the caller must unmap: this one if it does not fit, or smaller ones it displaced.
    /// </summary>
    public List<(nint Block, nuint Size)> Add(nint block, nuint size)
    {
        var unmap = new List<(nint, nuint)>();
        if ((long)size > capacity)
        {
            unmap.Add((block, size));
            return unmap;
        }
        lock (_lock)
        {
            while (_bytes + (long)size > capacity && _free.Count > 0)
            {
                var (smallest, stack) = _free.First();
                if (smallest >= size) break;
                unmap.Add((stack.Pop(), smallest));
                if (stack.Count == 0) _free.Remove(smallest);
                _bytes -= (long)smallest;
            }
            if (_bytes + (long)size > capacity)
            {
                unmap.Add((block, size));
                return unmap;
            }
            if (!_free.TryGetValue(size, out var free)) _free[size] = free = new Stack<nint>();
            free.Push(block);
            _bytes += (long)size;
        }
        return unmap;
    }
}
