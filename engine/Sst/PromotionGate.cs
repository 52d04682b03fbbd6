using LatticeKV.Cache;

namespace LatticeKV.Sst;

/// <summary>
/// Decides whether a point lookup promotes a block it found in the compressed tier (read there
/// often enough) to the decompressed tier. A promotion decodes the whole block and inserts it,
/// evicting another; it pays only if decompressed copies are read again before they are evicted.
/// Under reads spread evenly over far more blocks than the decompressed tier holds, they mostly
/// are not, and a lookup that stays in the compressed tier decodes only up to its entry. So
/// promotions must earn their keep: over a window, the decompressed tier's hits must come to
/// <see cref="HitsPerPromotion"/> per promotion; while they fall short, only one candidate in
/// <see cref="SampleWhileIdle"/> is promoted (enough to notice when blocks turn hot again). Hot
/// blocks (a skewed workload) bring many hits per promotion and are promoted as before. The
/// counts are hints: racing threads may promote a few more or fewer than the rule says.
/// </summary>
internal sealed class PromotionGate(BlockCache<Block> decompressed)
{
    /// <summary>Decompressed-tier hits a promotion must bring on average: it costs about a whole-block decode and an eviction, a hit saves part of one.</summary>
    public const int HitsPerPromotion = 4;

    /// <summary>While promotions do not pay, one candidate in this many is promoted.</summary>
    public const int SampleWhileIdle = 16;

    /// <summary>Promotions after which the window starts again, so that hits earned long ago do not pay for promotions now.</summary>
    public const int Window = 1024;

    private long _promotions; // in the current window
    private long _windowHits = -1; // the decompressed tier's hits when the window began; -1 before the first
    private int _candidates;
    private long _granted;

    /// <summary>Promotions granted since the cache was made.</summary>
    public long Granted => Volatile.Read(ref _granted);

    /// <summary>Whether the candidate block should be promoted now; counts a promotion when it should.</summary>
    public bool Admit()
    {
        long hits = decompressed.Hits;
        long windowHits = Volatile.Read(ref _windowHits);
        if (windowHits < 0 || Volatile.Read(ref _promotions) >= Window)
        {
            // A new window, its credit empty: the first promotion of each window goes through.
            Volatile.Write(ref _windowHits, hits);
            Volatile.Write(ref _promotions, 0);
            windowHits = hits;
        }
        long promotions = Volatile.Read(ref _promotions);
        bool pays = hits - windowHits >= HitsPerPromotion * promotions;
        if (!pays && Interlocked.Increment(ref _candidates) % SampleWhileIdle != 0) return false;
        Interlocked.Increment(ref _promotions);
        Interlocked.Increment(ref _granted);
        return true;
    }
}
