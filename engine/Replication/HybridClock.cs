namespace LatticeKV.Replication;

/// <summary>
/// A hybrid logical clock (Kulkarni et al.): readings are milliseconds since the Unix epoch in
/// the upper 48 bits and a counter in the lower 16, never below the wall clock, strictly
/// increasing, and above every reading observed from another replica, so a write made after
/// seeing another replica's write is ordered after it even when the wall clocks disagree.
/// </summary>
internal sealed class HybridClock(TimeProvider clock)
{
    private readonly Lock _lock = new();
    private ulong _last;

    public ulong Now()
    {
        ulong wall = (ulong)Math.Max(0, clock.GetUtcNow().ToUnixTimeMilliseconds()) << 16;
        lock (_lock)
        {
            _last = Math.Max(wall, _last + 1);
            return _last;
        }
    }

    /// <summary>Moves past a reading seen elsewhere (a remote change, or the newest change found at open).</summary>
    public void Observe(ulong reading)
    {
        lock (_lock) _last = Math.Max(_last, reading);
    }
}
