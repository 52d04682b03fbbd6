namespace LatticeKV;

/// <summary>Options of one write.</summary>
public sealed class WriteOptions
{
    /// <summary>The shared default: no sync.</summary>
    internal static readonly WriteOptions Default = new();

    /// <summary>
    /// Fsync the write-ahead log before returning. False (default): the write survives a
    /// process crash (kill -9) but may be lost in an operating-system crash or power loss.
    /// True: it survives those too. Concurrent synced writes share one fsync (group commit).
    /// </summary>
    public bool Sync { get; set; }
}

/// <summary>Options of one read or iterator.</summary>
public sealed class ReadOptions
{
    internal static readonly ReadOptions Default = new();

    /// <summary>Read the database as of this snapshot; null reads the latest state.</summary>
    public Snapshot? Snapshot { get; set; }

    /// <summary>Keep blocks read by this operation in the block cache. Default true; set false for one-off scans.</summary>
    public bool FillCache { get; set; } = true;

    /// <summary>Iterators only: the smallest key to return (inclusive); null is unbounded.</summary>
    public byte[]? IterateLowerBound { get; set; }

    /// <summary>Iterators only: the key at which to stop (exclusive); null is unbounded.</summary>
    public byte[]? IterateUpperBound { get; set; }
}
