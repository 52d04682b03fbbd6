using LatticeKV.Coding;

namespace LatticeKV.Tests.Coding;

public class VarintTests
{
    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(127UL, 1)]
    [InlineData(128UL, 2)]
    [InlineData(16383UL, 2)]
    [InlineData(16384UL, 3)]
    [InlineData(uint.MaxValue, 5)]
    [InlineData(ulong.MaxValue, 10)]
    public void Write_Value_RoundTripsWithExpectedLength(ulong value, int expectedLength)
    {
        Span<byte> buf = stackalloc byte[10];
        int n = Varint.Write(buf, value);
        Assert.Equal(expectedLength, n);
        Assert.Equal(expectedLength, Varint.Length(value));
        Assert.True(Varint.TryRead(buf[..n], out ulong back, out int read));
        Assert.Equal(value, back);
        Assert.Equal(n, read);
    }

    [Fact]
    public void TryRead_Truncated_ReturnsFalse()
    {
        Span<byte> buf = stackalloc byte[10];
        int n = Varint.Write(buf, 1UL << 40);
        for (int cut = 0; cut < n; cut++) Assert.False(Varint.TryRead(buf[..cut], out _, out _));
    }

    [Fact]
    public void TryRead_Overflow_ReturnsFalse()
    {
        byte[] tooLong = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
        Assert.False(Varint.TryRead(tooLong, out _, out _));
        byte[] over32 = [0xFF, 0xFF, 0xFF, 0xFF, 0x1F];
        Assert.False(Varint.TryRead32(over32, out _, out _));
    }
}
