namespace LatticeKV.Cache;

/// <summary>
/// What <see cref="BlockCache{TValue}"/> keeps about a cached value, stored in the value itself:
/// a lookup then reads the slot and lands on the block, one memory access fewer than a separate
/// entry object (a seek pays that access once per table, usually as a cache miss).
/// A value belongs to at most one slot of one cache, once.
/// </summary>
internal abstract class CacheEntry
{
    internal object? CacheSlots;
    internal int CacheIndex;
    internal int CacheCharge;
    internal volatile int CacheFrequency;
    // Why the value was loaded before anyone asked (a WarmOrigin), cleared by its first use; 0 when it was asked for.
    internal int Anticipation;

    /// <summary>Called (under the shard's lock) when the cache takes the value: it holds it until evicted.</summary>
    internal virtual void OnCacheInserted() { }

    /// <summary>Called (under the shard's lock) after the cache dropped the value from its slot.</summary>
    internal virtual void OnCacheEvicted() { }
}
