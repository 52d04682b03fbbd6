using LatticeKV.Metrics;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Metrics;

public sealed class LatencyWindowTests
{
    [Fact]
    public void Buckets_AreContiguousAndTheirMidpointsWithinAnEighth()
    {
        int previous = -1;
        for (long nanos = 1; nanos < 1L << 40; nanos = nanos * 9 / 8 + 1)
        {
            int bucket = LatencyWindow.Bucket(nanos);
            Assert.True(bucket >= previous, $"bucket of {nanos} went back");
            previous = bucket;
            double mid = LatencyWindow.Midpoint(bucket);
            Assert.True(Math.Abs(mid - nanos) <= nanos / 8.0 + 0.5, $"{nanos} ns in a bucket around {mid}");
        }
    }

    [Fact]
    public void LatencyQuantile_GivesP50AndP99OverTheWindow()
    {
        using var dir = new TempDir("window");
        var clock = new SteppingClock { Step = TimeSpan.FromMilliseconds(1) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock });
        db.Metrics.EnableLatencyWindow();
        Assert.Null(db.Metrics.LatencyQuantile(OperationKind.Get, 0.99, TimeSpan.FromMinutes(1)));

        for (int i = 0; i < 98; i++) db.Get("k"u8);
        clock.Step = TimeSpan.FromMilliseconds(500);
        for (int i = 0; i < 2; i++) db.Get("k"u8);
        clock.Step = TimeSpan.Zero;

        AssertNear(0.001, db.Metrics.LatencyQuantile(OperationKind.Get, 0.5, TimeSpan.FromMinutes(1)));
        AssertNear(0.5, db.Metrics.LatencyQuantile(OperationKind.Get, 0.99, TimeSpan.FromMinutes(1)));
        Assert.Null(db.Metrics.LatencyQuantile(OperationKind.Put, 0.99, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void LatencyQuantile_ForgetsWhatIsOlderThanTheWindow()
    {
        using var dir = new TempDir("window");
        var clock = new SteppingClock { Step = TimeSpan.FromSeconds(2) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock });
        db.Metrics.EnableLatencyWindow();
        for (int i = 0; i < 10; i++) db.Put("k"u8, "v"u8);
        clock.Step = TimeSpan.Zero;

        clock.Advance(TimeSpan.FromMinutes(2));
        db.Put("k"u8, "v"u8); // a fast put now
        AssertNear(2, db.Metrics.LatencyQuantile(OperationKind.Put, 0.99, TimeSpan.FromMinutes(4)));
        Assert.Equal(0, db.Metrics.LatencyQuantile(OperationKind.Put, 0.99, TimeSpan.FromMinutes(1)));

        clock.Advance(LatencyWindow.SlotDuration * LatencyWindow.SlotCount);
        Assert.Null(db.Metrics.LatencyQuantile(OperationKind.Put, 0.99, LatencyWindow.MaxWindow)); // every slot has been reused or is too old
    }

    [Fact]
    public void LatencyQuantile_WithoutTheWindow_IsNull()
    {
        using var dir = new TempDir("window");
        var clock = new SteppingClock { Step = TimeSpan.FromSeconds(1) };
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Clock = clock, SlowOperationThreshold = TimeSpan.FromHours(1) });

        db.Get("k"u8);

        Assert.Null(db.Metrics.LatencyQuantile(OperationKind.Get, 0.99, TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public void LatencyQuantile_BadArguments_AreRefused()
    {
        var window = new LatencyWindow(TimeSpan.TicksPerSecond);
        Assert.Throws<InvalidArgumentException>(() => window.Quantile(OperationKind.Get, 0, TimeSpan.FromMinutes(1), 0));
        Assert.Throws<InvalidArgumentException>(() => window.Quantile(OperationKind.Get, 1.5, TimeSpan.FromMinutes(1), 0));
        Assert.Throws<InvalidArgumentException>(() => window.Quantile(OperationKind.Get, 0.5, TimeSpan.Zero, 0));
        Assert.Throws<InvalidArgumentException>(() => window.Quantile(OperationKind.Get, 0.5, LatencyWindow.MaxWindow + TimeSpan.FromSeconds(1), 0));
    }

    private static void AssertNear(double expected, double? actual)
    {
        Assert.NotNull(actual);
        Assert.True(Math.Abs(actual.Value - expected) <= expected / 8, $"expected about {expected} s, got {actual} s");
    }
}
