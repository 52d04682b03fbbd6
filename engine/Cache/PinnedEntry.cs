namespace LatticeKV.Cache;

/// <summary>
/// A cached value whose bytes may live in an array from a <see cref="BlockArrayPool"/>. It counts
/// its holders (pins): the one that made it, the cache while it holds it, and every reader that
/// takes it from the cache (<see cref="TryPin"/>). The last <see cref="Unpin"/> hands the array
/// back to the pool for another value, so nobody may touch <see cref="Data"/> without a pin. A
/// holder that never unpins only keeps the array from being reused; the collector frees it.
/// </summary>
internal abstract class PinnedEntry(byte[] data, BlockArrayPool? pool) : CacheEntry
{
    private int _pins = 1; // the creator's

    /// <summary>The bytes (possibly longer than the value; see the subclass's length).</summary>
    public byte[] Data { get; } = data;

    /// <summary>
    /// Takes a hold on a value found in the cache. False when its last holder has already let go
    /// (it was evicted meanwhile and its array may hold another value now): read it again.
    /// </summary>
    public bool TryPin()
    {
        while (true)
        {
            int pins = Volatile.Read(ref _pins);
            if (pins <= 0) return false;
            if (Interlocked.CompareExchange(ref _pins, pins + 1, pins) == pins) return true;
        }
    }

    /// <summary>Lets go of a hold; the last one returns the array to the pool.</summary>
    public void Unpin()
    {
        int pins = Interlocked.Decrement(ref _pins);
        if (pins == 0) pool?.Return(Data);
        else if (pins < 0) throw new InvalidOperationException("Cached value unpinned more often than pinned.");
    }

    internal override void OnCacheInserted() => Interlocked.Increment(ref _pins);

    internal override void OnCacheEvicted() => Unpin();
}
