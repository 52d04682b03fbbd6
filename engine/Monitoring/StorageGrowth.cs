namespace LatticeKV;

/// <summary>
/// How fast the database grows: the least-squares slope of <see cref="StorageSample.TotalBytes"/>
/// over time across the samples of a recent window, and when the volume would fill at that rate.
/// </summary>
public sealed class StorageGrowth
{
    /// <summary>The window <see cref="Compute"/> uses when none is given.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    /// <summary>
    /// The shortest stretch of samples a rate is computed from: a burst of writes minutes long
    /// (a bulk load, the samples at open and close of a short run) extrapolated to a day is noise.
    /// </summary>
    public static readonly TimeSpan MinimumSpan = TimeSpan.FromMinutes(30);

    /// <summary>Growth in bytes per day (negative when the database shrinks).</summary>
    public double BytesPerDay { get; init; }

    /// <summary>How many samples the slope was fitted to.</summary>
    public int Samples { get; init; }

    /// <summary>The time from the first to the last of those samples.</summary>
    public TimeSpan Span { get; init; }

    /// <summary>The newest sample's <see cref="StorageSample.TotalBytes"/>.</summary>
    public long CurrentBytes { get; init; }

    /// <summary>The newest sample's time.</summary>
    public DateTimeOffset LastSample { get; init; }

    /// <summary>The newest sample's free disk bytes; null when unknown.</summary>
    public long? DiskFreeBytes { get; init; }

    /// <summary>When the volume fills if the database keeps growing at <see cref="BytesPerDay"/>; null when it is not growing or free space is unknown.</summary>
    public DateTimeOffset? ProjectedDiskFull { get; init; }

    /// <summary>
    /// The growth over the samples no older than <paramref name="window"/> before the newest one
    /// (default <see cref="DefaultWindow"/>); null when the samples in it span less than
    /// <see cref="MinimumSpan"/>. <paramref name="samples"/> must be in time order.
    /// </summary>
    public static StorageGrowth? Compute(IReadOnlyList<StorageSample> samples, TimeSpan? window = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2) return null;
        var last = samples[^1];
        var from = last.Time - (window ?? DefaultWindow);
        var used = samples.Where(s => s.Time >= from).ToList();
        if (used.Count < 2 || last.Time - used[0].Time < MinimumSpan) return null;
        double slopePerMs = Monitoring.LeastSquares.Slope(used.Select(s => ((double)(s.Time - last.Time).TotalMilliseconds, (double)s.TotalBytes)));
        double perDay = slopePerMs * TimeSpan.MillisecondsPerDay;
        DateTimeOffset? full = null;
        if (perDay > 0 && last.DiskFreeBytes is { } free)
        {
            double days = free / perDay;
            full = days >= (DateTimeOffset.MaxValue - last.Time).TotalDays ? DateTimeOffset.MaxValue : last.Time + TimeSpan.FromDays(days);
        }
        return new StorageGrowth
        {
            BytesPerDay = perDay,
            Samples = used.Count,
            Span = last.Time - used[0].Time,
            CurrentBytes = last.TotalBytes,
            LastSample = last.Time,
            DiskFreeBytes = last.DiskFreeBytes,
            ProjectedDiskFull = full,
        };
    }
}
