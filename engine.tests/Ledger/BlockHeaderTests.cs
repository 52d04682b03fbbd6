using LatticeKV.Ledger;

namespace LatticeKV.Tests.Ledger;

public class BlockHeaderTests
{
    [Fact]
    public void Parse_GenesisHeader_FieldsAndHashAreBitcoins()
    {
        var genesis = ChainFixtures.GenesisHeaders[0];
        Assert.Equal(1, genesis.Version);
        Assert.Equal(default, genesis.PreviousBlockHash);
        Assert.Equal("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", genesis.MerkleRoot.ToString());
        Assert.Equal(1231006505u, genesis.Time);
        Assert.Equal(0x1d00ffffu, genesis.Bits);
        Assert.Equal(2083236893u, genesis.Nonce);
        Assert.Equal("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f", genesis.Hash.ToString());
    }

    [Fact]
    public void ToBytes_ParsedHeader_RoundTrips()
    {
        var bytes = Convert.FromHexString(ChainFixtures.Lines("mainnet-headers-0-5.hex")[3]);
        Assert.Equal(bytes, BlockHeader.Parse(bytes).ToBytes());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(79)]
    [InlineData(81)]
    public void Parse_WrongLength_ChainDataExceptionWithOffset(int length)
    {
        var e = Assert.Throws<ChainDataException>(() => BlockHeader.Parse(new byte[length]));
        Assert.Equal("block header", e.What);
        Assert.Equal(length < 80 ? 0 : 80, e.Offset);
    }

    [Fact]
    public void Hash_Block100000_IsTheKnownHash()
        => Assert.Equal("000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506", ChainFixtures.Block100000Header.Hash.ToString());
}
