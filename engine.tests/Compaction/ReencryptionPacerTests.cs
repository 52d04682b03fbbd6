using LatticeKV.Compaction;

namespace LatticeKV.Tests.Compaction;

public sealed class ReencryptionPacerTests
{
    [Fact]
    public void AfterARewrite_TheNextWaitsForItsBytesAtTheRate()
    {
        var pacer = new ReencryptionPacer(bytesPerSecond: 1_000_000);
        Assert.True(pacer.MayStart(10_000, out _));
        pacer.Started(4_000_000, 10_000); // 4 s worth
        Assert.False(pacer.MayStart(10_001, out long wait));
        Assert.Equal(3_999, wait);
        Assert.False(pacer.MayStart(13_999, out wait));
        Assert.Equal(1, wait);
        Assert.True(pacer.MayStart(14_000, out _));
    }

    [Fact]
    public void ZeroRate_NeverStarts()
    {
        var pacer = new ReencryptionPacer(0);
        Assert.False(pacer.MayStart(0, out long wait));
        Assert.Equal(-1, wait);
    }
}
