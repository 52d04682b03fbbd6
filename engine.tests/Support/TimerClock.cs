namespace LatticeKV.Tests.Support;

/// <summary>
/// A clock tests move by hand whose timers (<see cref="TimeProvider.CreateTimer"/>) fire on the
/// test's thread, inside <see cref="Advance"/>, at the times they are due: no real time passes.
/// </summary>
public sealed class TimerClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<Timer> _timers = [];
    private DateTimeOffset _now = start;

    private long _stepped;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    /// <summary>
    /// Added to the timestamps at every reading (<see cref="GetTimestamp"/>), so each timed
    /// operation (two readings) takes at least one step: slow operations with no sleeping.
    /// Zero (default): timestamps are the real monotonic clock's (unless <see cref="FrozenTimestamps"/>), moved on by <see cref="Advance"/>.
    /// </summary>
    public TimeSpan TimestampStep { get; set; }

    /// <summary>
    /// True: timestamps leave out the real monotonic clock and move only by <see cref="Advance"/> and
    /// <see cref="TimestampStep"/>, so an operation measures as fast as the test says however long a
    /// loaded machine really took (a thread preempted between two readings). False (default): they
    /// include it, for code that waits for real time to pass.
    /// </summary>
    public bool FrozenTimestamps { get; init; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() =>
        (FrozenTimestamps
            ? TimeSpan.TicksPerSecond // not 0: a timestamp of 0 means "not timed"
            : (long)(global::System.Diagnostics.Stopwatch.GetTimestamp() * ((double)TimeSpan.TicksPerSecond / global::System.Diagnostics.Stopwatch.Frequency)))
        + Interlocked.Add(ref _stepped, TimestampStep.Ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_lock) _timers.Add(timer);
        return timer;
    }

    /// <summary>Timers not yet disposed.</summary>
    public int ActiveTimers
    {
        get { lock (_lock) return _timers.Count(t => !t.Disposed); }
    }

    /// <summary>Moves the clock forward by <paramref name="by"/>, firing every timer due on the way, in time order.</summary>
    public void Advance(TimeSpan by)
    {
        DateTimeOffset target;
        lock (_lock) target = _now + by;
        Interlocked.Add(ref _stepped, by.Ticks); // monotonic timestamps move with the clock
        while (true)
        {
            Timer? next;
            lock (_lock)
            {
                next = _timers.Where(t => !t.Disposed && t.Due is { } d && d <= target).MinBy(t => t.Due);
                if (next is null)
                {
                    _now = target;
                    return;
                }
                _now = next.Due!.Value;
                next.Due = next.Period > TimeSpan.Zero ? _now + next.Period : null;
            }
            next.Fire();
        }
    }

    private sealed class Timer(TimerClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }
        public TimeSpan Period { get; private set; }
        public bool Disposed { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
            }
            return true;
        }

        public void Dispose()
        {
            lock (clock._lock) Disposed = true;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
