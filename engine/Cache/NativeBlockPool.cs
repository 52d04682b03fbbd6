using LatticeKV.Io;

namespace LatticeKV.Cache;

/// <summary>
/// C-heap blocks (<see cref="OffHeap"/>) of compressed cache entries that left the cache and that
/// no reader holds any more, kept for the blocks read next, as <see cref="BlockArrayPool"/> keeps
/// decoded blocks' arrays. The compressed tier turns over a block for every read that misses it:
/// allocating and freeing each one costs the C heap's work per read, and glibc keeps much of what
/// is freed resident without reusing it for the next sizes asked. Sizes are rounded up to
/// <see cref="Granularity"/> (finer than the arrays' step: a compressed block's charge is its
/// buffer, and a coarse step would cost the tier blocks) and a rent borrows a slightly larger
/// block as the array pool does. Holds at most <c>capacity</c> bytes; blocks returned beyond it
/// go back to the C heap. <see cref="Close"/> frees what it holds and every block returned later.
/// Thread-safe.
/// </summary>
internal sealed unsafe class NativeBlockPool(long capacity)
{
    public const int Granularity = 64;

    private readonly SizeClassStacks<nint> _free = new(capacity, Granularity);
    private long _allocated; // bytes rented from the C heap and not yet freed there; changed with Interlocked
    private long _allocations; // changed with Interlocked

    /// <summary>The most bytes of blocks it keeps.</summary>
    public long Capacity => capacity;

    /// <summary>Bytes of blocks waiting to be reused.</summary>
    public long Bytes => _free.Bytes;

    /// <summary>Bytes of blocks it took from the C heap and has not freed: held by entries or by the pool.</summary>
    public long AllocatedBytes => Volatile.Read(ref _allocated);

    /// <summary>Blocks <see cref="Rent"/> allocated because the pool held none that fitted.</summary>
    public long Allocations => Volatile.Read(ref _allocations);

    /// <summary>
    /// A block of <paramref name="size"/> bytes, at least <paramref name="length"/> (and at least
    /// one step; see <see cref="BlockArrayPool.Rent"/> for how much larger), contents undefined;
    /// given back with <see cref="Return"/> or <see cref="FreeToHeap"/> and that size.
    /// </summary>
    public nint Rent(int length, out int size)
    {
        int rounded = Math.Max(Granularity, _free.RoundUp(length));
        if (_free.TryTake(rounded, out nint block, out size)) return block;
        size = rounded;
        block = (nint)OffHeap.Allocate((nuint)size);
        Interlocked.Add(ref _allocated, size);
        Interlocked.Increment(ref _allocations);
        return block;
    }

    /// <summary>Takes back a block no reader can reach any more; beyond the capacity, or once closed, it is freed.</summary>
    public void Return(nint block, int size)
    {
        if (!_free.TryAdd(block, size)) FreeToHeap(block, size);
    }

    /// <summary>Frees a rented block to the C heap instead of keeping it (a finalizer's path: nothing it frees is reused).</summary>
    public void FreeToHeap(nint block, int size)
    {
        OffHeap.Free((void*)block, (nuint)size);
        Interlocked.Add(ref _allocated, -size);
    }

    /// <summary>Frees every block it holds, and from now on every block returned (at close).</summary>
    public void Close() => _free.Close(FreeToHeap);
}
