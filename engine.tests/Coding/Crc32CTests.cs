using LatticeKV.Coding;

namespace LatticeKV.Tests.Coding;

public class Crc32CTests
{
    [Fact]
    public void Compute_StandardCheckValue_Matches()
        => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Extend_Split_EqualsWhole()
    {
        var data = new byte[1000];
        new Random(5).NextBytes(data);
        for (int split = 0; split <= data.Length; split += 37)
            Assert.Equal(Crc32C.Compute(data), Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
    }

    [Fact]
    public void Mask_Unmask_RoundTripsAndDiffers()
    {
        uint crc = Crc32C.Compute("foo"u8);
        Assert.NotEqual(crc, Crc32C.Mask(crc));
        Assert.NotEqual(crc, Crc32C.Mask(Crc32C.Mask(crc)));
        Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
    }
}
