using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger.Chain;

/// <summary>
/// Bitcoin Core's benchmark block 413567, a real main-network block of 1557 transactions
/// (Fixtures/README.md says where it comes from and why it is looked for outside the repository).
/// </summary>
public class Block413567Tests
{
    private const string Hash = "0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069";

    private static byte[] Load()
    {
        var bytes = ChainFixtures.Block413567(out string reason);
        Skip.If(bytes is null, reason);
        return bytes!;
    }

    [SkippableFact]
    public void Parse_Block413567_EveryTxidRebuildsTheHeadersMerkleRoot()
    {
        var block = BitcoinBlock.Parse(Load());
        Assert.Equal(Hash, block.Header.Hash.ToString());
        Assert.Equal(1557, block.Transactions.Count);
        Assert.All(block.Transactions, t => Assert.False(t.HasWitness)); // mined before segwit activated
        Assert.Equal(block.Header.MerkleRoot, BitcoinMerkle.ComputeRoot(block.Txids, out bool mutated));
        Assert.False(mutated);
        Assert.True(block.MerkleRootMatches());
        Assert.True(HeaderChainCheck.Check([block.Header], 413567, ChainParameters.BitcoinMainnet).Ok);
    }

    [SkippableFact]
    public void Parse_Block413567_EachTransactionReparsesAloneToItsTxid()
    {
        var bytes = Load();
        var block = BitcoinBlock.Parse(bytes);
        for (int i = 0; i < block.Transactions.Count; i++)
            Assert.Equal(block.Transactions[i].Txid, BitcoinTransaction.Parse(bytes.AsSpan()[block.TransactionRanges[i]]).Txid);
    }

    [SkippableFact]
    public void MerkleRootMatches_LastTransactionRepeated_Refused()
    {
        // CVE-2012-2459: 1557 is odd, so repeating the last transaction keeps the root; the block must still be refused.
        var bytes = Load();
        var block = BitcoinBlock.Parse(bytes);
        var last = bytes[block.TransactionRanges[^1]];
        byte[] forged = [.. bytes[..80], 0xFD, 0x16, 0x06, .. bytes[83..], .. last];
        var parsed = BitcoinBlock.Parse(forged);
        Assert.Equal(block.Header.MerkleRoot, BitcoinMerkle.ComputeRoot(parsed.Txids, out bool mutated));
        Assert.True(mutated);
        Assert.False(parsed.MerkleRootMatches());
    }

    [SkippableFact]
    public async Task VerifyAsync_EveryTransactionOfBlock413567_VerifiedAtDepthOne()
    {
        var bytes = Load();
        var block = BitcoinBlock.Parse(bytes);
        var provider = new FixtureNetworkStateProvider(ChainFixtures.Mainnet, 413567, [block.Header]);
        provider.AddTransactions(413567, block.Txids);
        var verifier = new NetworkVerifier();
        for (int i = 0; i < block.Transactions.Count; i += 37)
        {
            var claim = new ChainTransactionClaim(ChainFixtures.Mainnet, block.Transactions[i].Txid, 413567, block.Header.Hash, i, bytes[block.TransactionRanges[i]]);
            var result = await verifier.VerifyAsync(claim, provider);
            Assert.True(result.IsVerified, $"tx {i}: {result.Message}");
            Assert.Equal(1, result.Depth);
            Assert.Equal(11, result.Evidence!.Branch.Count);
        }
    }

    [SkippableFact]
    public void VerifyOffline_AnyChangedByteOfARealTransactionBranchOrHeader_Fails()
    {
        var bytes = Load();
        var block = BitcoinBlock.Parse(bytes);
        var verifier = new NetworkVerifier();
        const int position = 1000;
        var raw = bytes[block.TransactionRanges[position]];
        var claim = new ChainTransactionClaim(ChainFixtures.Mainnet, block.Transactions[position].Txid, 413567, block.Header.Hash, position, raw);
        var evidence = new NetworkEvidence(413567, position, BitcoinMerkle.Branch(block.Txids, position), [block.Header]).Encode();
        Tampering.AnyChangedByte_Fails(verifier, claim, evidence, "block 413567, transaction 1000");
    }
}
