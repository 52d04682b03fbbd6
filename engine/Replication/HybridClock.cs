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

    // Written under _lock; Observe reads it without (see there).
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
        // _last only grows, so a reading at or below any value read of it changes nothing: remote
        // changes older than this clock, or after the first of a commit's changes (which share one
        // reading), pass without the lock. A torn read cannot
        // happen (Volatile.Read of a 64-bit field is atomic), and a stale one only takes the lock.
        if (reading <= Volatile.Read(ref _last)) return;
        lock (_lock) _last = Math.Max(_last, reading);
    }

    private static readonly ulong MaxWallMilliseconds = (ulong)DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    /// <summary>Whether the wall-clock part of <paramref name="reading"/> is a date (not past year 9999): only a damaged or hostile reading is not.</summary>
    public static bool IsWithinCalendar(ulong reading) => (reading >> 16) <= MaxWallMilliseconds;

    /// <summary>The wall-clock part of <paramref name="reading"/>; a reading past the calendar's end (only a damaged or hostile one) gives its end.</summary>
    public static DateTimeOffset WallTime(ulong reading)
        => (reading >> 16) > MaxWallMilliseconds ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeMilliseconds((long)(reading >> 16));

    /// <summary>The wall-clock part of a reading read from disk: one past the calendar's end is a <see cref="CorruptionException"/>.</summary>
    public static DateTimeOffset StoredWallTime(ulong reading, string what)
        => (reading >> 16) <= MaxWallMilliseconds ? DateTimeOffset.FromUnixTimeMilliseconds((long)(reading >> 16))
            : throw new CorruptionException($"{what} holds a clock reading past the calendar's end");
}
