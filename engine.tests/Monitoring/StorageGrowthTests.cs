namespace LatticeKV.Tests.Monitoring;

public class StorageGrowthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static StorageSample Sample(double days, long bytes, long? free = null) => new()
    {
        Time = T0 + TimeSpan.FromDays(days),
        LogBytes = bytes,
        DiskFreeBytes = free,
        DiskTotalBytes = free is null ? null : 100L << 30,
    };

    [Fact]
    public void Compute_ScatteredPoints_GivesTheLeastSquaresSlope()
    {
        // Points (0, 0), (1, 2), (2, 1), (3, 3) in (days, GB): slope = Σ(dx·dy)/Σdx² = 4 / 5 = 0.8 GB per day.
        var history = new[] { Sample(0, 0), Sample(1, 2_000_000_000), Sample(2, 1_000_000_000), Sample(3, 3_000_000_000, free: 8_000_000_000) };
        var growth = StorageGrowth.Compute(history)!;
        Assert.Equal(0.8e9, growth.BytesPerDay, 1e-3);
        Assert.Equal(4, growth.Samples);
        Assert.Equal(TimeSpan.FromDays(3), growth.Span);
        Assert.Equal(3_000_000_000, growth.CurrentBytes);
        // 8 GB free at 0.8 GB a day: full ten days after the last sample.
        Assert.Equal(T0 + TimeSpan.FromDays(13), growth.ProjectedDiskFull!.Value, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Compute_Shrinking_HasNoProjection()
    {
        var growth = StorageGrowth.Compute([Sample(0, 5000), Sample(1, 4000, free: 1000)])!;
        Assert.True(growth.BytesPerDay < 0);
        Assert.Null(growth.ProjectedDiskFull);
    }

    [Fact]
    public void Compute_UnknownFreeSpace_HasNoProjection()
        => Assert.Null(StorageGrowth.Compute([Sample(0, 0), Sample(1, 1000)])!.ProjectedDiskFull);

    [Fact]
    public void Compute_Window_LeavesOlderSamplesOut()
    {
        // A burst long ago, then steady growth of 100 bytes a day: a two-day window sees only the steady part.
        var history = new[] { Sample(0, 0), Sample(1, 1_000_000), Sample(10, 1_000_000), Sample(11, 1_000_100), Sample(12, 1_000_200) };
        var growth = StorageGrowth.Compute(history, TimeSpan.FromDays(2))!;
        Assert.Equal(100, growth.BytesPerDay, 1e-6);
        Assert.Equal(3, growth.Samples);
    }

    [Fact]
    public void Compute_FewerThanTwoDistinctTimes_IsNull()
    {
        Assert.Null(StorageGrowth.Compute([]));
        Assert.Null(StorageGrowth.Compute([Sample(0, 1)]));
        Assert.Null(StorageGrowth.Compute([Sample(0, 1), Sample(0, 2)]));
    }

    [Fact]
    public void Compute_SpanShorterThanTheMinimum_IsNull()
    {
        var first = Sample(0, 0);
        StorageSample At(TimeSpan after) => new() { Time = T0 + after, LogBytes = 1_000_000 };
        Assert.Null(StorageGrowth.Compute([first, At(StorageGrowth.MinimumSpan - TimeSpan.FromSeconds(1))]));
        Assert.NotNull(StorageGrowth.Compute([first, At(StorageGrowth.MinimumSpan)]));
    }

    [Fact]
    public void Compute_TinyGrowthOnAHugeDisk_ClampsTheProjection()
    {
        var growth = StorageGrowth.Compute([Sample(0, 0), Sample(1, 1, free: long.MaxValue)])!;
        Assert.Equal(DateTimeOffset.MaxValue, growth.ProjectedDiskFull);
    }
}
