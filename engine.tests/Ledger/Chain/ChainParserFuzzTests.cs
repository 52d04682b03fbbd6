using CsCheck;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledger.Chain;

/// <summary>
/// The chain parsers fed hostile bytes (random, mutated real data, truncated, huge CompactSize
/// counts) may only throw <see cref="ChainDataException"/>. CsCheck prints the seed of a failure;
/// LKV_LONG=1 runs ten times longer.
/// </summary>
public class ChainParserFuzzTests
{
    private static int Iterations => 3000 * TestSeed.Scale;

    private static void OnlyChainData(Action parse)
    {
        try { parse(); }
        catch (ChainDataException) { }
    }

    /// <summary>A small real-shaped block: block 1's header with its coinbase, and a segwit transaction after it.</summary>
    private static byte[] SeedBlock()
    {
        var segwit = RegtestChain.RandomTransaction(new Random(7), witness: true);
        return [.. ChainFixtures.GenesisHeaders[1].ToBytes(), 2, .. ChainFixtures.Block1Coinbase, .. segwit];
    }

    [Fact]
    public void SeedBlock_Parses()
    {
        var block = BitcoinBlock.Parse(SeedBlock());
        Assert.Equal(2, block.Transactions.Count);
        Assert.True(block.Transactions[1].HasWitness);
    }

    [Fact]
    public void BlockParse_RandomBytes_OnlyChainDataException()
        => Gen.Byte.Array[0, 400].Sample(b => OnlyChainData(() => BitcoinBlock.Parse(b)), iter: Iterations, threads: 1);

    [Fact]
    public void BlockParse_MutatedBlock_OnlyChainDataException()
        => Mutations.Sample(SeedBlock(), b => OnlyChainData(() => BitcoinBlock.Parse(b)), Iterations);

    [Fact]
    public void TransactionParse_MutatedTransactions_OnlyChainDataException()
    {
        Mutations.Sample(ChainFixtures.GenesisCoinbase, b => OnlyChainData(() => BitcoinTransaction.Parse(b)), Iterations);
        Mutations.Sample(RegtestChain.RandomTransaction(new Random(8), witness: true), b => OnlyChainData(() => BitcoinTransaction.Parse(b)), Iterations);
    }

    [Fact]
    public void TransactionParse_HugeCountsEverywhere_OnlyChainDataException()
    {
        // A 0xFF CompactSize (a 2^64-scale count) written over each byte of a witness transaction.
        var tx = RegtestChain.RandomTransaction(new Random(9), witness: true);
        for (int at = 0; at < tx.Length; at++)
        {
            byte[] hostile = [.. tx[..at], 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, .. tx[at..]];
            OnlyChainData(() => BitcoinTransaction.Parse(hostile));
        }
    }

    [Fact]
    public void HeaderParse_AnyLengthButEighty_ChainDataException()
    {
        for (int length = 0; length < 200; length++)
        {
            if (length == BlockHeader.Size) continue;
            Assert.Throws<ChainDataException>(() => BlockHeader.Parse(new byte[length]));
        }
    }

    [Fact]
    public void BlockParse_ZeroTransactions_ChainDataExceptionAtTheCount()
    {
        var e = Assert.Throws<ChainDataException>(() => BitcoinBlock.Parse([.. ChainFixtures.GenesisHeaders[0].ToBytes(), 0]));
        Assert.Equal(80, e.Offset);
    }
}
