using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledger;

public class NetworkVerifierTests
{
    private static readonly NetworkVerifier Verifier = new();

    /// <summary>Block 1's coinbase as the ledger would store it, with a provider holding blocks 0 to 5.</summary>
    private static (ChainTransactionClaim Claim, FixtureNetworkStateProvider Provider) Block1()
    {
        var headers = ChainFixtures.GenesisHeaders;
        var raw = ChainFixtures.Block1Coinbase;
        var txid = BitcoinTransaction.Parse(raw).Txid;
        var provider = new FixtureNetworkStateProvider(ChainFixtures.Mainnet, 0, headers);
        provider.AddTransactions(0, [BitcoinTransaction.Parse(ChainFixtures.GenesisCoinbase).Txid]);
        provider.AddTransactions(1, [txid]);
        return (new ChainTransactionClaim(ChainFixtures.Mainnet, txid, 1, headers[1].Hash, 0, raw), provider);
    }

    [Fact]
    public async Task VerifyAsync_MainnetBlock1Coinbase_VerifiedAtDepthFive()
    {
        var (claim, provider) = Block1();
        var result = await Verifier.VerifyAsync(claim, provider);
        Assert.True(result.IsVerified, result.Message);
        Assert.Equal(5, result.Depth);
        Assert.Equal(5 * new System.Numerics.BigInteger(0x1_0001_0001), result.CumulativeWork);
        Assert.Equal(5, result.Evidence!.Headers.Count);
    }

    [Fact]
    public async Task VerifyOffline_StoredEvidence_VerifiesAgain()
    {
        var (claim, provider) = Block1();
        var stored = (await Verifier.VerifyAsync(claim, provider)).Evidence!.Encode();
        var again = Verifier.VerifyOffline(claim, NetworkEvidence.Decode(stored));
        Assert.True(again.IsVerified, again.Message);
        Assert.Equal(5, again.Depth);
    }

    [Fact]
    public async Task VerifyAsync_MaxHeaders_CapsDepthAndEvidence()
    {
        var (claim, provider) = Block1();
        var result = await new NetworkVerifier(new NetworkVerifierOptions { MaxHeaders = 2 }).VerifyAsync(claim, provider);
        Assert.Equal((true, 2, 2), (result.IsVerified, result.Depth, result.Evidence!.Headers.Count));
    }

    [Fact]
    public async Task VerifyAsync_RegtestChain_EveryTransactionVerifiedAtItsDepth()
    {
        int seed = TestSeed.Get(2310);
        var chain = new RegtestChain(seed).Grow(12, 7);
        var provider = chain.Provider();
        for (int height = 0; height < 12; height++)
            for (int position = 0; position < 7; position++)
            {
                var result = await Verifier.VerifyAsync(chain.Claim(height, position), provider);
                Assert.True(result.IsVerified, $"seed {seed} height {height} position {position}: {result.Message}");
                Assert.Equal(12 - height, result.Depth);
            }
    }

    public static TheoryData<string> Failures => ["chain", "txid", "raw", "position", "height", "blockhash", "missing", "tip", "header-gap", "provider"];

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task VerifyAsync_WrongClaimOrProvider_FailsWithItsReason(string fault)
    {
        var chain = new RegtestChain(TestSeed.Get(2311)).Grow(6, 5);
        var provider = chain.Provider();
        var claim = chain.Claim(2, 3);
        NetworkVerificationFailure expected;
        switch (fault)
        {
            case "chain": claim = claim with { ChainId = "dogecoin" }; expected = NetworkVerificationFailure.UnsupportedChain; break;
            case "txid": claim = claim with { TransactionId = chain.Claim(2, 4).TransactionId }; expected = NetworkVerificationFailure.TransactionIdMismatch; break;
            case "raw": claim = claim with { RawTransaction = claim.RawTransaction[..^1] }; expected = NetworkVerificationFailure.MalformedTransaction; break;
            case "position": claim = claim with { Position = 2 }; expected = NetworkVerificationFailure.EvidenceMismatch; break;
            case "height": claim = claim with { BlockHeight = 3 }; expected = NetworkVerificationFailure.EvidenceMismatch; break;
            case "blockhash": claim = claim with { BlockHash = chain.Headers[3].Hash }; expected = NetworkVerificationFailure.EvidenceMismatch; break;
            case "missing": provider.EvidenceHook = _ => null; expected = NetworkVerificationFailure.EvidenceUnavailable; break;
            case "tip": provider.HeaderHook = (h, header) => h == 2 ? null : header; expected = NetworkVerificationFailure.HeaderUnavailable; break;
            case "header-gap": provider.HeaderHook = (h, header) => h == 4 ? null : header; expected = NetworkVerificationFailure.HeaderUnavailable; break;
            default: provider.Failure = new IOException("node unreachable"); expected = NetworkVerificationFailure.ProviderFailed; break;
        }
        var result = await Verifier.VerifyAsync(claim, provider);
        Assert.False(result.IsVerified);
        Assert.Equal(expected, result.Failure);
        Assert.Equal(0, result.Depth);
        Assert.Null(result.Evidence);
    }

    [Fact]
    public async Task VerifyAsync_ProviderLiesAboutTheBranch_MerkleBranchMismatch()
    {
        var chain = new RegtestChain(TestSeed.Get(2312)).Grow(3, 6);
        var provider = chain.Provider();
        provider.EvidenceHook = e => e with { Branch = [.. e.Branch.Reverse()] };
        var result = await Verifier.VerifyAsync(chain.Claim(1, 2), provider);
        Assert.Equal(NetworkVerificationFailure.MerkleBranchMismatch, result.Failure);
    }

    [Fact]
    public async Task VerifyAsync_BlockReorganizedAway_NotOnBestChain()
    {
        int seed = TestSeed.Get(2313);
        var original = new RegtestChain(seed).Grow(5, 3);
        var claim = original.Claim(3, 1);
        var fork = new RegtestChain(seed + 1);
        fork.Headers.AddRange(original.Headers.Take(3));
        fork.Transactions.AddRange(original.Transactions.Take(3));
        fork.Grow(4, 3);
        var provider = fork.Provider();
        provider.AddTransactions(3, [.. original.Transactions[3].Select(t => BitcoinTransaction.Parse(t).Txid)]);
        provider.EvidenceHook = e => e with { BlockHash = claim.BlockHash };
        provider.AddSideBlock(original.Headers[3]);
        var result = await Verifier.VerifyAsync(claim, provider);
        Assert.Equal(NetworkVerificationFailure.NotOnBestChain, result.Failure);
        provider = fork.Provider();
        provider.AddTransactions(3, [.. original.Transactions[3].Select(t => BitcoinTransaction.Parse(t).Txid)]);
        provider.EvidenceHook = e => e with { BlockHash = claim.BlockHash };
        Assert.Equal(NetworkVerificationFailure.BlockHashMismatch, (await Verifier.VerifyAsync(claim, provider)).Failure);
    }

    [Fact]
    public async Task VerifyAsync_ProviderHeaderWithoutWork_InvalidProofOfWork()
    {
        var chain = new RegtestChain(TestSeed.Get(2314)).Grow(4, 2);
        var provider = chain.Provider();
        // A header above the block that links but whose nonce no longer meets the target.
        var bad = chain.Headers[2];
        for (uint n = bad.Nonce + 1; ; n++)
        {
            var candidate = bad with { Nonce = n };
            if (CompactTarget.HashValue(candidate.Hash) > CompactTarget.Decode(candidate.Bits)!.Value) { bad = candidate; break; }
        }
        provider.HeaderHook = (h, header) => h == 2 ? bad : header;
        var result = await Verifier.VerifyAsync(chain.Claim(1, 0), provider);
        Assert.Equal(NetworkVerificationFailure.InvalidProofOfWork, result.Failure);
    }

    [Fact]
    public async Task VerifyAsync_ProviderHeaderOffTheChain_BrokenLink()
    {
        var chain = new RegtestChain(TestSeed.Get(2315)).Grow(4, 2);
        var other = new RegtestChain(TestSeed.Get(2315) + 1).Grow(4, 2);
        var provider = chain.Provider();
        provider.HeaderHook = (h, header) => h == 3 ? other.Headers[3] : header;
        Assert.Equal(NetworkVerificationFailure.BrokenHeaderLink, (await Verifier.VerifyAsync(chain.Claim(1, 1), provider)).Failure);
    }

    [Fact]
    public void VerifyOffline_SixtyFourByteTransaction_Refused()
    {
        // A 64-byte "transaction" can be two Merkle hashes in disguise: its bytes prove nothing.
        var raw = Convert.FromHexString("01000000" + "01" + new string('2', 64) + "00000000" + "00" + "ffffffff" + "01" + "0000000000000000" + "04" + "51515151" + "00000000");
        Assert.Equal(64, raw.Length);
        var txid = BitcoinTransaction.Parse(raw).Txid;
        var header = RegtestChain.Mine(new BlockHeader(1, default, txid, 0, RegtestChain.Bits, 0));
        var claim = new ChainTransactionClaim(RegtestChain.ChainId, txid, 0, header.Hash, 0, raw);
        var result = Verifier.VerifyOffline(claim, new NetworkEvidence(0, 0, [], [header]));
        Assert.Equal(NetworkVerificationFailure.MalformedTransaction, result.Failure);
    }

    [Fact]
    public async Task VerifyOffline_AnyChangedByteOfRegtestTransactionBranchOrHeader_Fails()
    {
        int seed = TestSeed.Get(2316);
        // One header: a regtest header above the block could be re-mined in two tries, so headers
        // above are covered by the main-network test below, where the work is real.
        var chain = new RegtestChain(seed).Grow(2, 9);
        var claim = chain.Claim(1, 5);
        var verifier = new NetworkVerifier(new NetworkVerifierOptions { MaxHeaders = 1 });
        var evidence = (await verifier.VerifyAsync(claim, chain.Provider())).Evidence!.Encode();
        Tampering.AnyChangedByte_Fails(verifier, claim, evidence, $"seed {seed}");
    }

    [Fact]
    public async Task VerifyOffline_AnyChangedByteOfMainnetTransactionOrHeaderChain_Fails()
    {
        var (claim, provider) = Block1();
        var evidence = (await Verifier.VerifyAsync(claim, provider)).Evidence!.Encode();
        Tampering.AnyChangedByte_Fails(Verifier, claim, evidence, "block 1 under headers 1 to 5");
    }

    [Fact]
    public async Task VerifyOffline_AnyChangedByteOfWitnessTransactionOrItsEvidence_Fails()
    {
        int seed = TestSeed.Get(2317);
        var chain = new RegtestChain(seed).Grow(2, 6, witness: true);
        var claim = chain.Claim(1, 3);
        var verifier = new NetworkVerifier(new NetworkVerifierOptions { MaxHeaders = 1 });
        var result = await verifier.VerifyAsync(claim, chain.Provider());
        Assert.NotNull(result.Evidence!.Witness);
        Tampering.AnyChangedByte_Fails(verifier, claim, result.Evidence.Encode(), $"seed {seed}");
    }

    [Fact]
    public async Task VerifyAsync_WitnessTransactionWithoutWitnessEvidence_WitnessNotCommitted()
    {
        var chain = new RegtestChain(TestSeed.Get(2318)).Grow(2, 4, witness: true);
        var provider = chain.Provider();
        provider.EvidenceHook = e => e with { Witness = null };
        var result = await Verifier.VerifyAsync(chain.Claim(1, 2), provider);
        Assert.Equal(NetworkVerificationFailure.WitnessNotCommitted, result.Failure);
    }

    [Fact]
    public async Task VerifyAsync_WitnessEvidenceOfAnotherBlock_WitnessNotCommitted()
    {
        var chain = new RegtestChain(TestSeed.Get(2319)).Grow(2, 4, witness: true);
        var provider = chain.Provider();
        var otherBlock = (await provider.GetInclusionEvidenceAsync(RegtestChain.ChainId, chain.Claim(0, 2).TransactionId))!.Witness;
        provider.EvidenceHook = e => e with { Witness = otherBlock };
        var result = await Verifier.VerifyAsync(chain.Claim(1, 2), provider);
        Assert.Equal(NetworkVerificationFailure.WitnessNotCommitted, result.Failure);
    }
}
