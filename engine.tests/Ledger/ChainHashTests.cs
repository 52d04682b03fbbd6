using LatticeKV.Ledger;

namespace LatticeKV.Tests.Ledger;

public class ChainHashTests
{
    private const string Genesis = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

    [Fact]
    public void Parse_DisplayedForm_StoresBytesReversed()
    {
        var hash = ChainHash.Parse(Genesis);
        Assert.Equal(0x6f, hash.Bytes[0]);
        Assert.Equal(0x00, hash.Bytes[31]);
        Assert.Equal(Genesis, hash.ToString());
    }

    [Fact]
    public void Equality_SameBytes_Equal_OtherBytes_NotEqual()
    {
        var a = ChainHash.Parse(Genesis);
        Assert.Equal(a, ChainHash.FromBytes(a.Bytes));
        Assert.NotEqual(a, default);
        Assert.True(default(ChainHash) == ChainHash.FromBytes(new byte[32]));
    }

    [Theory]
    [InlineData("00")]
    [InlineData("zz0000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f")]
    public void Parse_BadText_InvalidArgument(string text)
        => Assert.Throws<InvalidArgumentException>(() => ChainHash.Parse(text));

    [Fact]
    public void FromBytes_WrongLength_InvalidArgument()
        => Assert.Throws<InvalidArgumentException>(() => ChainHash.FromBytes(new byte[31]));
}
