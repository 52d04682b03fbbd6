namespace LatticeKV;

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
