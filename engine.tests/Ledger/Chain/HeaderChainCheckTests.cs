using System.Numerics;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger.Chain;

public class HeaderChainCheckTests
{
    [Fact]
    public void Check_MainnetHeaders0To5_LinkedWithWork()
    {
        var outcome = HeaderChainCheck.Check(ChainFixtures.GenesisHeaders, 0, ChainParameters.BitcoinMainnet);
        Assert.True(outcome.Ok, outcome.Message);
        Assert.Equal(6 * new BigInteger(0x1_0001_0001), outcome.Work);
    }

    [Fact]
    public void Check_Block100000Alone_MeetsItsTarget()
        => Assert.True(HeaderChainCheck.Check([ChainFixtures.Block100000Header], 100000, ChainParameters.BitcoinMainnet).Ok);

    [Fact]
    public void Check_HeaderLeftOut_BrokenLink()
    {
        var headers = ChainFixtures.GenesisHeaders.Where((_, i) => i != 3).ToList();
        var outcome = HeaderChainCheck.Check(headers, 0, ChainParameters.BitcoinMainnet);
        Assert.Equal((NetworkVerificationFailure.BrokenHeaderLink, 3), (outcome.Failure, outcome.Index));
    }

    [Fact]
    public void Check_NonceChanged_InvalidProofOfWork()
    {
        var headers = ChainFixtures.GenesisHeaders.ToList();
        headers[2] = headers[2] with { Nonce = headers[2].Nonce + 1 };
        var outcome = HeaderChainCheck.Check(headers, 0, ChainParameters.BitcoinMainnet);
        Assert.Equal((NetworkVerificationFailure.InvalidProofOfWork, 2), (outcome.Failure, outcome.Index));
    }

    [Fact]
    public void Check_RegtestHeaderOnMainnet_AboveThePowLimit()
    {
        var easy = RegtestChain.Mine(new BlockHeader(1, default, default, 0, RegtestChain.Bits, 0));
        Assert.True(HeaderChainCheck.Check([easy], 0, ChainParameters.BitcoinRegtest).Ok);
        var outcome = HeaderChainCheck.Check([easy], 0, ChainParameters.BitcoinMainnet);
        Assert.Equal(NetworkVerificationFailure.InvalidProofOfWork, outcome.Failure);
        Assert.Contains("limit", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_NegativeBits_InvalidProofOfWork()
    {
        var negative = new BlockHeader(1, default, default, 0, 0x20ffffff, 0);
        Assert.Equal(NetworkVerificationFailure.InvalidProofOfWork, HeaderChainCheck.Check([negative], 0, ChainParameters.BitcoinRegtest).Failure);
    }

    [Theory]
    [InlineData(5, 0x207fffffu, 0x2000ffffu, false)] // change between retarget heights
    [InlineData(8, 0x207fffffu, 0x2000ffffu, false)] // more than four times harder
    [InlineData(8, 0x207fffffu, 0x201fffffu, true)]  // a quarter of the target: allowed
    [InlineData(8, 0x201fffffu, 0x207ffffcu, true)]  // four times easier: allowed
    [InlineData(8, 0x201fffffu, 0x207fffffu, false)] // a little more than four times easier
    public void Check_DifficultyChange_OnlyAtRetargetHeightsWithinFourTimes(int height, uint before, uint after, bool allowed)
    {
        var parameters = new ChainParameters("every-8", (BigInteger.One << 255) - 1, 8, false);
        var first = RegtestChain.Mine(new BlockHeader(1, default, default, 0, before, 0));
        var second = RegtestChain.Mine(new BlockHeader(1, first.Hash, default, 600, after, 0));
        var outcome = HeaderChainCheck.Check([first, second], height - 1, parameters);
        Assert.Equal(allowed ? NetworkVerificationFailure.None : NetworkVerificationFailure.InvalidDifficultyTransition, outcome.Failure);
        var minimumDifficultyAllowed = new ChainParameters("min-difficulty", (BigInteger.One << 255) - 1, 8, true);
        Assert.True(HeaderChainCheck.Check([first, second], height - 1, minimumDifficultyAllowed).Ok);
    }
}
