using LatticeKV.Replication;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Replication;

/// <summary>The hybrid clock's readings never go back, and pass every reading observed from elsewhere.</summary>
public sealed class HybridClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static ulong Wall(DateTimeOffset t) => (ulong)t.ToUnixTimeMilliseconds() << 16;

    [Fact]
    public void Observe_AReadingAheadOfTheWallClock_NextReadingsArePastIt()
    {
        var clock = new HybridClock(new ManualClock(Start));
        ulong ahead = Wall(Start.AddMinutes(5)) + 7;

        clock.Observe(ahead);

        Assert.Equal(ahead + 1, clock.Now());
        Assert.Equal(ahead + 2, clock.Now());
    }

    [Fact]
    public void Observe_ReadingsAtOrBelowTheLast_ChangeNothing()
    {
        var clock = new HybridClock(new ManualClock(Start));
        ulong ahead = Wall(Start.AddMinutes(5));
        clock.Observe(ahead);
        ulong first = clock.Now();

        clock.Observe(first);
        clock.Observe(ahead);
        clock.Observe(0);

        Assert.Equal(first + 1, clock.Now());
    }

    [Fact]
    public void Observe_FromManyThreads_TheClockEndsPastTheHighest()
    {
        var clock = new HybridClock(new ManualClock(Start));
        ulong baseReading = Wall(Start.AddMinutes(5));
        Parallel.For(0, 8, t =>
        {
            for (ulong i = 0; i < 10_000; i++) clock.Observe(baseReading + i * 8 + (ulong)t);
        });

        Assert.Equal(baseReading + 9_999 * 8 + 7 + 1, clock.Now());
    }
}
