using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;
using CsCheck;

namespace LatticeKV.Tests.Ledger;

public class NetworkEvidenceTests
{
    /// <summary>FORMAT.md §22.4's worked example: block 1's coinbase (position 0, no branch) under headers 1 and 2.</summary>
    internal static NetworkEvidence WorkedExample()
    {
        var headers = ChainFixtures.GenesisHeaders;
        return new NetworkEvidence(1, 0, [], [headers[1], headers[2]]);
    }

    [Fact]
    public void Encode_WorkedExample_MatchesFormatMd()
    {
        var bytes = WorkedExample().Encode();
        Assert.Equal(23 + 2 * 80 + 1, bytes.Length);
        Assert.Equal("4c4b4e4501010100000000000000000000000002000000", Convert.ToHexStringLower(bytes.AsSpan(0, 23)));
        string doc = File.ReadAllText(Path.Combine(FormatTests.RepoRoot(), "FORMAT.md"));
        Assert.Equal(0, bytes[^1]);
        Assert.Contains("4c 4b 4e 45 01 01 01 00 00 00 00 00 00 00 00 00 00 00 00 02 00 00 00", doc, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyOffline_WorkedExample_DepthTwo()
    {
        var raw = ChainFixtures.Block1Coinbase;
        var claim = new ChainTransactionClaim(ChainFixtures.Mainnet, BitcoinTransaction.Parse(raw).Txid, 1, ChainFixtures.GenesisHeaders[1].Hash, 0, raw);
        var result = new NetworkVerifier().VerifyOffline(claim, NetworkEvidence.Decode(WorkedExample().Encode()));
        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(2, result.Depth);
        Assert.Equal(2 * new System.Numerics.BigInteger(0x1_0001_0001), result.CumulativeWork);
    }

    [Fact]
    public async Task Decode_EncodedWithWitness_RoundTrips()
    {
        var chain = new RegtestChain(TestSeed.Get(2321)).Grow(1, 5, witness: true);
        var evidence = (await new NetworkVerifier().VerifyAsync(chain.Claim(0, 3), chain.Provider())).Evidence!;
        var decoded = NetworkEvidence.Decode(evidence.Encode());
        Assert.Equal(evidence.Witness!.CoinbaseTransaction.ToArray(), decoded.Witness!.CoinbaseTransaction.ToArray());
        Assert.Equal(evidence.Witness.CoinbaseBranch, decoded.Witness.CoinbaseBranch);
        Assert.Equal(evidence.Witness.WitnessBranch, decoded.Witness.WitnessBranch);
        Assert.Equal(evidence.Encode(), decoded.Encode());
    }

    [Fact]
    public void Decode_Encoded_RoundTrips()
    {
        var chain = new RegtestChain(TestSeed.Get(2320)).Grow(3, 11);
        var txids = chain.Transactions[0].Select(t => BitcoinTransaction.Parse(t).Txid).ToList();
        var evidence = new NetworkEvidence(123_456, 9, BitcoinMerkle.Branch(txids, 9), chain.Headers);
        var decoded = NetworkEvidence.Decode(evidence.Encode());
        Assert.Equal((123_456L, 9), (decoded.BlockHeight, decoded.Position));
        Assert.Equal(evidence.Branch, decoded.Branch);
        Assert.Equal(evidence.Headers, decoded.Headers);
    }

    [Theory]
    [InlineData(0, 0x00, 0)]  // magic
    [InlineData(4, 0x02, 4)]  // format version
    [InlineData(5, 0x07, 5)]  // hash kind
    [InlineData(18, 0x21, 18)] // branch length over 32
    [InlineData(19, 0x03, 19)] // header count disagrees with the bytes
    public void Decode_BadField_ChainDataExceptionAtItsOffset(int index, byte value, int offset)
    {
        var bytes = WorkedExample().Encode();
        bytes[index] = value;
        var e = Assert.Throws<ChainDataException>(() => NetworkEvidence.Decode(bytes));
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public async Task Decode_MutatedWitnessEvidence_OnlyChainDataException()
    {
        var chain = new RegtestChain(TestSeed.Get(2322)).Grow(1, 5, witness: true);
        var evidence = (await new NetworkVerifier().VerifyAsync(chain.Claim(0, 2), chain.Provider())).Evidence!.Encode();
        Mutations.Sample(evidence, input =>
        {
            try { NetworkEvidence.Decode(input); }
            catch (ChainDataException) { }
        }, 3000 * TestSeed.Scale);
    }

    [Fact]
    public void Decode_RandomAndMutatedBytes_OnlyChainDataException()
    {
        static void Decode(byte[] input)
        {
            try { NetworkEvidence.Decode(input); }
            catch (ChainDataException) { }
        }
        Gen.Byte.Array[0, 300].Sample(Decode, iter: 2000 * TestSeed.Scale, threads: 1);
        Mutations.Sample(WorkedExample().Encode(), Decode, 3000 * TestSeed.Scale);
    }
}
