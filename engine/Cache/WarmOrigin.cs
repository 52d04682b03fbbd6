namespace LatticeKV.Cache;

/// <summary>Why a block was loaded into the cache before a read asked for it (<see cref="CacheEntry.Anticipation"/>).</summary>
internal enum WarmOrigin
{
    Demand = 0,
    Preload = 1,
    Readahead = 2,
    Prefetch = 3,
}
