namespace LatticeKV;

/// <summary>
/// Learned prefetch (<see cref="DbOptions.Prefetch"/>; off unless set): the database learns which
/// key prefix is read after which (point reads and seeks), and when a prefix is read, loads the
/// first blocks of the prefixes that usually follow it into the block cache in the background.
/// A key's prefix is its first <see cref="PrefixLength"/> bytes or, with a <see cref="Delimiter"/>,
/// the bytes up to and including its <see cref="DelimiterCount"/>-th delimiter. The model is
/// bounded (<see cref="MaxPrefixes"/> prefixes, least recently read forgotten first, a few
/// successors each, counts halved as they grow). When too few prefetched blocks are read before
/// the cache evicts them, prefetch pauses itself for a while and then tries again.
/// </summary>
/// <example>
/// <code>
/// // "profile/42" is usually followed by "txn/42/...": prefixes of 2 segments, "/"-separated.
/// var options = new DbOptions { Prefetch = new PrefetchOptions { Delimiter = (byte)'/', DelimiterCount = 2 } };
/// </code>
/// </example>
public sealed class PrefetchOptions
{
    /// <summary>Prefix length in bytes (without <see cref="Delimiter"/>), or the longest prefix (with it). Default 8.</summary>
    public int PrefixLength { get; set; } = 8;

    /// <summary>Ends prefixes at a delimiter byte instead of a fixed length; null (default) uses <see cref="PrefixLength"/>.</summary>
    public byte? Delimiter { get; set; }

    /// <summary>With <see cref="Delimiter"/>: the prefix ends at this occurrence of it (counting from 1). Default 1.</summary>
    public int DelimiterCount { get; set; } = 1;

    /// <summary>Prefixes the model remembers. Default 4096.</summary>
    public int MaxPrefixes { get; set; } = 4096;

    /// <summary>Blocks loaded per table at the start of a predicted prefix. Default 2.</summary>
    public int BlocksPerPrefix { get; set; } = 2;

    /// <summary>The share of a prefix's successors one must have to be prefetched. Default 0.3.</summary>
    public double MinConfidence { get; set; } = 0.3;

    /// <summary>Below this share of prefetched blocks used, prefetch pauses. Default 0.2.</summary>
    public double MinUsefulRatio { get; set; } = 0.2;

    internal PrefetchOptions Validated()
    {
        if (PrefixLength is < 1 or > 1024) throw new InvalidArgumentException("Prefetch.PrefixLength must be between 1 and 1024.", nameof(PrefixLength));
        if (DelimiterCount < 1) throw new InvalidArgumentException("Prefetch.DelimiterCount must be at least 1.", nameof(DelimiterCount));
        if (MaxPrefixes is < 1 or > 1 << 20) throw new InvalidArgumentException("Prefetch.MaxPrefixes must be between 1 and 1048576.", nameof(MaxPrefixes));
        if (BlocksPerPrefix is < 1 or > 64) throw new InvalidArgumentException("Prefetch.BlocksPerPrefix must be between 1 and 64.", nameof(BlocksPerPrefix));
        if (MinConfidence is < 0 or > 1 || double.IsNaN(MinConfidence)) throw new InvalidArgumentException("Prefetch.MinConfidence must be between 0 and 1.", nameof(MinConfidence));
        if (MinUsefulRatio is < 0 or > 1 || double.IsNaN(MinUsefulRatio)) throw new InvalidArgumentException("Prefetch.MinUsefulRatio must be between 0 and 1.", nameof(MinUsefulRatio));
        return (PrefetchOptions)MemberwiseClone();
    }
}
