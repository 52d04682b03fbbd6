using System.Numerics;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger.Chain;

public class CompactTargetTests
{
    [Theory]
    [InlineData(0x1d00ffffu, "00000000ffff0000000000000000000000000000000000000000000000000000")]
    [InlineData(0x1b0404cbu, "00000000000404cb000000000000000000000000000000000000000000000000")]
    [InlineData(0x207fffffu, "7fffff0000000000000000000000000000000000000000000000000000000000")]
    [InlineData(0x03123456u, "0000000000000000000000000000000000000000000000000000000000123456")]
    [InlineData(0x02123456u, "0000000000000000000000000000000000000000000000000000000000001234")]
    public void Decode_ValidBits_BigEndianTarget(uint bits, string expected)
        => Assert.Equal(BigInteger.Parse("0" + expected, System.Globalization.NumberStyles.HexNumber, null), CompactTarget.Decode(bits));

    [Theory]
    [InlineData(0x04923456u)] // sign bit set
    [InlineData(0xff123456u)] // past 256 bits
    [InlineData(0x22010000u)] // 34 bytes with more than one significant byte
    [InlineData(0x01003456u)] // the significant digits shifted out: zero
    [InlineData(0x1d000000u)] // zero mantissa
    public void Decode_NegativeOverflowOrZero_Null(uint bits) => Assert.Null(CompactTarget.Decode(bits));

    [Fact]
    public void Work_MinimumDifficulty_IsTwoTo32PlusTwoTo16PlusOne()
        => Assert.Equal(new BigInteger(0x1_0001_0001), CompactTarget.Work(CompactTarget.Decode(0x1d00ffff)!.Value));
}
