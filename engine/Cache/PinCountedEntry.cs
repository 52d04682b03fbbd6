namespace LatticeKV.Cache;

/// <summary>
/// A cached value whose memory is given back when its last holder lets go. It counts its
/// holders (pins): the one that made it, the cache while it holds it, and every reader that
/// takes it from the cache (<see cref="TryPin"/>). The last <see cref="Unpin"/> calls
/// <see cref="Release"/>, after which nobody may touch the value's bytes; so nobody may read
/// them without a pin.
/// </summary>
internal abstract class PinCountedEntry : CacheEntry
{
    private int _pins = 1; // the creator's

    /// <summary>
    /// Takes a hold on a value found in the cache. False when its last holder has already let go
    /// (it was evicted meanwhile and its memory may hold another value now): read it again.
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

    /// <summary>Lets go of a hold; the last one releases the value's memory.</summary>
    public void Unpin()
    {
        int pins = Interlocked.Decrement(ref _pins);
        if (pins == 0) Release();
        else if (pins < 0) throw new InvalidOperationException("Cached value unpinned more often than pinned.");
    }

    /// <summary>
    /// Makes a released value live again, pinned once for its new holder, to hold other bytes: an
    /// object reused once its last holder let go. A reader that found it in a cache before it was
    /// released may <see cref="TryPin"/> it again from now on, so such a reader must check after
    /// pinning that the value is still the one it looked up (see <c>TableReader.PinIfStillCached</c>).
    /// </summary>
    protected void Revive()
    {
        if (Interlocked.CompareExchange(ref _pins, 1, 0) != 0) throw new InvalidOperationException("Only a released value can be revived.");
    }

    /// <summary>Whether the last holder has let go (the memory is released).</summary>
    internal bool IsReleased => Volatile.Read(ref _pins) <= 0;

    /// <summary>Gives the value's memory back; called once, by the last <see cref="Unpin"/>.</summary>
    protected abstract void Release();

    internal override void OnCacheInserted() => Interlocked.Increment(ref _pins);

    internal override void OnCacheEvicted() => Unpin();
}
