using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledger.Chain;

public class BitcoinTransactionTests
{
    [Fact]
    public void Parse_GenesisAndBlock1Coinbases_TxidsAreTheMerkleRoots()
    {
        var headers = ChainFixtures.GenesisHeaders;
        var genesis = BitcoinTransaction.Parse(ChainFixtures.GenesisCoinbase);
        var block1 = BitcoinTransaction.Parse(ChainFixtures.Block1Coinbase);
        Assert.Equal("4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", genesis.Txid.ToString());
        Assert.Equal(headers[0].MerkleRoot, genesis.Txid);
        Assert.Equal(headers[1].MerkleRoot, block1.Txid);
        Assert.False(block1.HasWitness);
        Assert.Equal(block1.Txid, block1.Wtxid);
        Assert.Equal((1, 1), (block1.InputCount, block1.OutputCount));
    }

    [Fact]
    public void Parse_WitnessTransaction_TxidIgnoresWitnessWtxidDoesNot()
    {
        int seed = TestSeed.Get(2301);
        var segwit = RegtestChain.RandomTransaction(new Random(seed), witness: true);
        var tx = BitcoinTransaction.Parse(segwit);
        Assert.True(tx.HasWitness, $"seed {seed}");
        Assert.Equal(ChainHash.DoubleSha256(Strip(segwit, tx.InputCount)), tx.Txid);
        Assert.Equal(ChainHash.DoubleSha256(segwit), tx.Wtxid);
        Assert.NotEqual(tx.Txid, tx.Wtxid);
        Assert.Equal(segwit.Length, tx.Length);
    }

    [Fact]
    public void Parse_WitnessChanged_TxidUnchanged()
    {
        var segwit = RegtestChain.RandomTransaction(new Random(TestSeed.Get(2302)), witness: true);
        var changed = segwit.ToArray();
        changed[^10] ^= 0x55; // inside the last witness item
        Assert.Equal(BitcoinTransaction.Parse(segwit).Txid, BitcoinTransaction.Parse(changed).Txid);
        Assert.NotEqual(BitcoinTransaction.Parse(segwit).Wtxid, BitcoinTransaction.Parse(changed).Wtxid);
    }

    [Fact]
    public void Parse_UnknownFlag_ChainDataExceptionAtFlag()
    {
        var segwit = RegtestChain.RandomTransaction(new Random(1), witness: true);
        segwit[5] = 0x02;
        var e = Assert.Throws<ChainDataException>(() => BitcoinTransaction.Parse(segwit));
        Assert.Equal(5, e.Offset);
    }

    [Fact]
    public void Parse_AllWitnessStacksEmpty_ChainDataException()
    {
        // version, marker, flag, one input with an empty script, one empty output, an empty stack, lock time
        var tx = Convert.FromHexString("02000000" + "0001" + "01" + new string('1', 64) + "00000000" + "00" + "ffffffff" + "01" + "0000000000000000" + "00" + "00" + "00000000");
        var e = Assert.Throws<ChainDataException>(() => BitcoinTransaction.Parse(tx));
        Assert.Contains("superfluous", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fd0100", 4)]            // 1 written in three bytes
    [InlineData("fe00000100", 4)]        // 65536 written in five bytes... then too large for the bytes left
    [InlineData("ffffffffffffffffff", 4)] // 2^64 - 1 inputs
    public void Parse_HostileInputCount_ChainDataExceptionAtTheCount(string count, int offset)
    {
        var tx = Convert.FromHexString("01000000" + count + new string('0', 200));
        var e = Assert.Throws<ChainDataException>(() => BitcoinTransaction.Parse(tx));
        Assert.Equal(offset, e.Offset);
    }

    [Fact]
    public void Parse_EveryTruncation_ChainDataException()
    {
        var raw = ChainFixtures.Block1Coinbase;
        for (int cut = 0; cut < raw.Length; cut++)
            Assert.Throws<ChainDataException>(() => BitcoinTransaction.Parse(raw.AsSpan(0, cut)));
        var e = Assert.Throws<ChainDataException>(() => BitcoinTransaction.Parse([.. raw, 0]));
        Assert.Equal(raw.Length, e.Offset);
    }

    /// <summary>The serialization without marker, flag and witnesses, rebuilt field by field from the generator's layout.</summary>
    private static byte[] Strip(byte[] segwit, int inputs)
    {
        var body = new List<byte>(segwit[..4]);
        int at = 6;
        int start = at;
        at++;
        for (int i = 0; i < inputs; i++) at += 36 + 1 + segwit[at + 36] + 4;
        int outputs = segwit[at++];
        for (int i = 0; i < outputs; i++) at += 8 + 1 + segwit[at + 8];
        body.AddRange(segwit[start..at]);
        body.AddRange(segwit[^4..]);
        return [.. body];
    }
}
