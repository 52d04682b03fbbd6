namespace LatticeKV.Cache;

/// <summary>
/// Arrays of blocks that left the block cache and that no reader holds any more, kept for the
/// blocks read next. A read that misses the cache needs an array for the decompressed block and
/// the block it evicts frees one of about the same size: without reuse every miss adds a few
/// kilobytes of garbage that survives long enough to be promoted, and at a high miss rate the
/// collector's work on a heap the size of the cache dominates the read. Sizes are rounded up to
/// <see cref="Granularity"/> so that blocks of slightly
/// different sizes share arrays. Holds at
/// most <c>capacity</c> bytes (approximately: concurrent returns may pass it by an array each);
/// the rest is left to the collector. Thread-safe: the arrays are kept in
/// <see cref="SizeClassStacks{T}"/> (a stack and a lock per size; every read that misses the
/// decompressed tier rents and returns).
/// </summary>
internal sealed class BlockArrayPool(long capacity)
{
    public const int Granularity = 256;

    /// <summary>
    /// A rent that finds no array of its own size takes one from the next larger sizes, up to
    /// this fraction of its size larger (at least one step). The sizes of evicted and newly read
    /// blocks spread over several steps, so each size's stack wanders: without this one size runs
    /// dry (a new array, which lives in the cache until it is evicted and so is promoted to the
    /// oldest generation) while others fill the pool to its capacity (the evicted array is
    /// dropped and waits there for a full collection).
    /// </summary>
    internal const int BorrowFraction = 8;

    /// <summary>Largest size with a stack of its own: data blocks and most cached values.</summary>
    public const int ClassedMax = 64 * 1024;

    private readonly SizeClassStacks<byte[]> _free = new(capacity, Granularity);
    private long _allocations; // changed with Interlocked

    /// <summary>The most bytes of arrays it keeps.</summary>
    public long Capacity => capacity;

    /// <summary>Bytes of arrays waiting to be reused.</summary>
    public long Bytes => _free.Bytes;

    /// <summary>Arrays <see cref="Rent"/> allocated because the pool held none that fitted.</summary>
    public long Allocations => Volatile.Read(ref _allocations);

    /// <summary>
    /// An array of at least <paramref name="length"/> bytes (a multiple of <see cref="Granularity"/>,
    /// at most 1/<see cref="BorrowFraction"/> larger than the rounded length, or one step, when one
    /// of its own size is not at hand); its contents are undefined.
    /// </summary>
    public byte[] Rent(int length)
    {
        int size = _free.RoundUp(length);
        if (_free.TryTake(size, out var array, out _)) return array;
        Interlocked.Increment(ref _allocations);
        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Takes back an array no reader can reach any more.</summary>
    public void Return(byte[] array)
    {
        if (_free.IsStepSize(array.Length)) _free.TryAdd(array, array.Length);
    }
}
