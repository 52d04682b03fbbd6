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
        var ahead = TimeSpan.FromSeconds((double)_bytes / _bytesPerSecond) - Stopwatch.GetElapsedTime(_started);
        if (ahead > TimeSpan.Zero) _cancel.WaitHandle.WaitOne(ahead);
    }
}
