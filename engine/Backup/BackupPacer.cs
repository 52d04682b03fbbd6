using System.Diagnostics;

namespace LatticeKV.Backup;

/// <summary>
/// Holds a backup's copying to at most a given number of bytes per second
/// (<see cref="BackupOptions.BytesPerSecond"/>): after each chunk it waits until the bytes copied
/// since the backup began fit the rate, so a backup taken during heavy writes leaves the disk and
/// the cores to them and takes longer instead. Waits end early when the backup is cancelled.
/// Used by one backup on one thread.
/// </summary>
internal sealed class BackupPacer
{
    private readonly long _bytesPerSecond;
    private readonly CancellationToken _cancel;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _bytes;

    private BackupPacer(long bytesPerSecond, CancellationToken cancel)
    {
        _bytesPerSecond = bytesPerSecond;
        _cancel = cancel;
    }

    /// <summary>A pacer for <paramref name="bytesPerSecond"/>; null when it is 0 (no limit).</summary>
    public static BackupPacer? For(long bytesPerSecond, CancellationToken cancel) => bytesPerSecond > 0 ? new BackupPacer(bytesPerSecond, cancel) : null;

    /// <summary>Counts <paramref name="bytes"/> copied and waits while the copying is ahead of the rate.</summary>
    public void Copied(long bytes)
    {
        _bytes += bytes;
        // In slices: a wait handle takes at most about 24 days at once, and a very low rate may ask for more.
        for (double ahead = SecondsAhead(); ahead > 0 && !_cancel.IsCancellationRequested; ahead = SecondsAhead())
            _cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(Math.Min(ahead, MaxWaitSeconds)));
    }

    private const double MaxWaitSeconds = 3600;

    /// <summary>How far the copying is ahead of the rate, in seconds (a double: a TimeSpan overflows at very low rates).</summary>
    private double SecondsAhead() => (double)_bytes / _bytesPerSecond - Stopwatch.GetElapsedTime(_started).TotalSeconds;
}
