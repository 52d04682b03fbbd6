using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// Released <see cref="CompressedBlock"/> objects of one compressed tier, kept to hold the next
/// blocks read from files. Each read that misses the tier makes an entry that lives until the tier
/// evicts it, long enough to be promoted to the collector's oldest generation, and then dies there:
/// under reads spread over more blocks than the tier holds that is an object per read, and the
/// full collections that reclaim them. Reused, the tier's entries are made once. Bounded; thread-safe.
/// </summary>
internal sealed class CompressedBlockObjects(NativeBlockPool buffers, int capacity = CompressedBlockObjects.DefaultCapacity)
{
    /// <summary>Objects kept at most: evictions and insertions alternate, so few wait at a time.</summary>
    public const int DefaultCapacity = 1024;

    private readonly Lock _lock = new();
    private readonly Stack<CompressedBlock> _free = new();

    /// <summary>Objects waiting to be reused.</summary>
    public int Count
    {
        get { lock (_lock) return _free.Count; }
    }

    /// <summary>
    /// A compressed block holding <paramref name="address"/> (rented from the tier's buffers, its
    /// first <paramref name="length"/> bytes the verified stored bytes), pinned for its creator:
    /// a released object when one waits, a new one otherwise.
    /// </summary>
    public CompressedBlock Take(nint address, int size, int length, byte type)
    {
        CompressedBlock? reused = null;
        lock (_lock)
        {
            _free.TryPop(out reused);
        }
        if (reused is null) return new CompressedBlock(address, size, length, type, buffers, this);
        reused.Reuse(address, size, length, type);
        return reused;
    }

    /// <summary>Keeps a released block for reuse; false when full (the caller lets it go).</summary>
    internal bool Give(CompressedBlock released)
    {
        lock (_lock)
        {
            if (_free.Count >= capacity) return false;
            _free.Push(released);
            return true;
        }
    }
}
