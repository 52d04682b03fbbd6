namespace LatticeKV.Compaction;

/// <summary>
/// Bounds the rate at which background compaction rewrites files only to re-encrypt them (after
/// a key rotation, or encryption turned on or off for a family): after a rewrite of
/// <c>b</c> input bytes the next may start <c>b / rate</c> seconds later, so foreground work keeps
/// the disk and the cores. Not thread-safe: used under the database mutex.
/// </summary>
internal sealed class ReencryptionPacer(long bytesPerSecond)
{
    private long _nextAllowedMs = long.MinValue;

    /// <summary>Bytes per second; 0 or less: no background re-encryption.</summary>
    public long BytesPerSecond { get; } = bytesPerSecond;

    /// <summary>True when a rewrite may start at <paramref name="nowMs"/>; else how long to wait.</summary>
    public bool MayStart(long nowMs, out long waitMs)
    {
        waitMs = -1;
        if (BytesPerSecond <= 0) return false;
        if (nowMs >= _nextAllowedMs) return true;
        waitMs = _nextAllowedMs - nowMs;
        return false;
    }

    /// <summary>A rewrite of <paramref name="bytes"/> input bytes starts at <paramref name="nowMs"/>.</summary>
    public void Started(long bytes, long nowMs)
        => _nextAllowedMs = nowMs + (long)Math.Ceiling(bytes * 1000.0 / BytesPerSecond);
}
