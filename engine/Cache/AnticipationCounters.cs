namespace LatticeKV.Cache;

/// <summary>
/// What the cache loaded ahead of demand, by <see cref="WarmOrigin"/>: blocks and bytes issued
/// (read from a file because of it), used (a read found them in the cache) and wasted (evicted
/// unused). Thread-safe; updated with interlocked adds.
/// </summary>
internal sealed class AnticipationCounters
{
    private const int Origins = 4;
    private readonly long[] _issuedBlocks = new long[Origins];
    private readonly long[] _issuedBytes = new long[Origins];
    private readonly long[] _used = new long[Origins];
    private readonly long[] _wasted = new long[Origins];

    public void RecordIssued(WarmOrigin origin, long bytes)
    {
        Interlocked.Increment(ref _issuedBlocks[(int)origin]);
        Interlocked.Add(ref _issuedBytes[(int)origin], bytes);
    }

    public void RecordWasted(WarmOrigin origin) => Interlocked.Increment(ref _wasted[(int)origin]);

    /// <summary>Counts the first use of <paramref name="entry"/> when it was loaded ahead of demand.</summary>
    public void RecordHit(CacheEntry entry)
    {
        // A plain read first: almost every hit is of a block somebody asked for.
        if (Volatile.Read(ref entry.Anticipation) == 0) return;
        int origin = Interlocked.Exchange(ref entry.Anticipation, 0);
        if (origin != 0) Interlocked.Increment(ref _used[origin]);
    }

    public long IssuedBlocks(WarmOrigin origin) => Interlocked.Read(ref _issuedBlocks[(int)origin]);

    public long IssuedBytes(WarmOrigin origin) => Interlocked.Read(ref _issuedBytes[(int)origin]);

    public long Used(WarmOrigin origin) => Interlocked.Read(ref _used[(int)origin]);

    public long Wasted(WarmOrigin origin) => Interlocked.Read(ref _wasted[(int)origin]);
}
