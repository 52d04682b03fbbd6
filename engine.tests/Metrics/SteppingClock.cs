namespace LatticeKV.Tests.Metrics;

/// <summary>
/// A clock whose timestamps move only when told: by <see cref="Advance"/>, and by
/// <see cref="Step"/> at every reading, so each timed operation (two readings) takes exactly one
/// step, with no sleeping.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private long _ticks = 1_000_000; // not 0: a timestamp of 0 means "not timed"
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public TimeSpan Step { get; set; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp()
    {
        lock (this)
        {
            long t = _ticks;
            _ticks += Step.Ticks;
            return t;
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (this) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (this)
        {
            _ticks += by.Ticks;
            _now += by;
        }
    }
}
