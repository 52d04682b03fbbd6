namespace LatticeKV.Cache;

/// <summary>
/// Arrays of blocks that left the block cache and that no reader holds any more, kept for the
/// blocks read next. A read that misses the cache needs an array for the decompressed block and
/// the block it evicts frees one of about the same size: without reuse every miss adds a few
/// kilobytes of garbage that survives long enough to be promoted, and at a high miss rate the
/// collector's work on a heap the size of the cache dominates the read. Sizes are rounded up to
/// <see cref="Granularity"/> so that blocks of slightly different sizes share arrays. Holds at
/// most <c>capacity</c> bytes; the rest is left to the collector. Thread-safe.
/// </summary>
internal sealed class BlockArrayPool(long capacity)
{
    public const int Granularity = 256;
    private readonly Lock _lock = new();
    // Guarded by _lock.
    private readonly Dictionary<int, Stack<byte[]>> _free = [];
    private long _bytes;

    /// <summary>Bytes of arrays waiting to be reused.</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    /// <summary>An array of at least <paramref name="length"/> bytes (a multiple of <see cref="Granularity"/>); its contents are undefined.</summary>
    public byte[] Rent(int length)
    {
        int size = (length + Granularity - 1) & ~(Granularity - 1);
        lock (_lock)
        {
            if (_free.TryGetValue(size, out var stack) && stack.TryPop(out var array))
            {
                _bytes -= size;
                return array;
            }
        }
        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Takes back an array no reader can reach any more.</summary>
    public void Return(byte[] array)
    {
        if (array.Length % Granularity != 0) return;
        lock (_lock)
        {
            if (_bytes + array.Length > capacity) return;
            if (!_free.TryGetValue(array.Length, out var stack)) _free[array.Length] = stack = new Stack<byte[]>();
            stack.Push(array);
            _bytes += array.Length;
        }
    }
}
