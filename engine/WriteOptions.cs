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
