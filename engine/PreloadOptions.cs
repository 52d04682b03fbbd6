namespace LatticeKV;

/// <summary>
/// Preload (<see cref="DbOptions.Preload"/>): the database records which blocks its cache uses
/// most (their positions only, in the <c>HOTSET</c> file; FORMAT.md, "HOTSET") at close and every
/// <see cref="RecordInterval"/>, and after the next open loads them back into the block cache in
/// the background, at most <see cref="BytesPerSecond"/>, so the first reads after a restart are
/// served from memory. Open never waits for it; closing stops it at once.
/// </summary>
public sealed class PreloadOptions
{
    /// <summary>Record the hot set and warm it after open. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The most block bytes recorded and loaded back (also bounded by the cache's capacity). Default 256 MiB.</summary>
    public long MaxBytes { get; set; } = 256L << 20;

    /// <summary>The most bytes read per second while warming (a cap, so preload never competes with reads at full disk speed). Default: 64 MiB.</summary>
    public long BytesPerSecond { get; set; } = 64L << 20;

    /// <summary>How often the hot set is recorded while open (besides at close). Default 10 minutes; <see cref="TimeSpan.Zero"/> records only at close.</summary>
    public TimeSpan RecordInterval { get; set; } = TimeSpan.FromMinutes(10);

    internal PreloadOptions Validated()
    {
        if (MaxBytes < 0) throw new InvalidArgumentException("Preload.MaxBytes must not be negative.", nameof(MaxBytes));
        if (BytesPerSecond <= 0) throw new InvalidArgumentException("Preload.BytesPerSecond must be positive.", nameof(BytesPerSecond));
        if (RecordInterval < TimeSpan.Zero) throw new InvalidArgumentException("Preload.RecordInterval must not be negative.", nameof(RecordInterval));
        return new PreloadOptions { Enabled = Enabled, MaxBytes = MaxBytes, BytesPerSecond = BytesPerSecond, RecordInterval = RecordInterval };
    }
}
