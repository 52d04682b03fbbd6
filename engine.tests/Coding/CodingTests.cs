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

public class SpanReaderTests
{
    [Fact]
    public void ReadLengthPrefixed_LengthBeyondData_ThrowsCorruption()
    {
        byte[] data = [5, 1, 2];
        Assert.Throws<CorruptionException>(() =>
        {
            var r = new SpanReader(data);
            r.ReadLengthPrefixed();
        });
    }
}
