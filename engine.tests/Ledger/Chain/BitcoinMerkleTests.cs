using CsCheck;
using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger.Chain;

public class BitcoinMerkleTests
{
    [Fact]
    public void ComputeRoot_Block100000Txids_IsTheHeadersRoot()
    {
        var root = BitcoinMerkle.ComputeRoot(ChainFixtures.Block100000Txids, out bool mutated);
        Assert.False(mutated);
        Assert.Equal(ChainFixtures.Block100000Header.MerkleRoot, root);
    }

    [Fact]
    public void Branch_EveryLeafOfBlock100000_LeadsToTheRoot()
    {
        var txids = ChainFixtures.Block100000Txids;
        for (int i = 0; i < txids.Count; i++)
        {
            var branch = BitcoinMerkle.Branch(txids, i);
            Assert.Equal(2, branch.Count);
            Assert.Equal(ChainFixtures.Block100000Header.MerkleRoot, BitcoinMerkle.RootFromBranch(txids[i], branch, i));
        }
    }

    [Fact]
    public void Branch_OddLevels_EveryLeafLeadsToTheRoot()
    {
        for (int count = 1; count <= 17; count++)
        {
            var leaves = Enumerable.Range(0, count).Select(i => ChainHash.DoubleSha256([(byte)i, (byte)count])).ToList();
            var root = BitcoinMerkle.ComputeRoot(leaves, out bool mutated);
            Assert.False(mutated);
            for (int i = 0; i < count; i++)
                Assert.Equal(root, BitcoinMerkle.RootFromBranch(leaves[i], BitcoinMerkle.Branch(leaves, i), i));
        }
    }

    [Fact]
    public void ComputeRoot_LastTransactionsDuplicated_SameRootButMutated()
    {
        // CVE-2012-2459: [a b c] and [a b c c] share a root; only the second repeats a pair.
        var leaves = Enumerable.Range(0, 3).Select(i => ChainHash.DoubleSha256([(byte)i])).ToList();
        var honest = BitcoinMerkle.ComputeRoot(leaves, out bool honestMutated);
        var forged = BitcoinMerkle.ComputeRoot([.. leaves, leaves[2]], out bool forgedMutated);
        Assert.Equal(honest, forged);
        Assert.False(honestMutated);
        Assert.True(forgedMutated);
    }

    [Fact]
    public void ComputeRoot_DuplicatedSubtree_Mutated()
    {
        // Six leaves whose last pair is repeated as a subtree: [a b c d e f e f] has the root of [a b c d e f].
        var leaves = Enumerable.Range(0, 6).Select(i => ChainHash.DoubleSha256([(byte)i])).ToList();
        var honest = BitcoinMerkle.ComputeRoot(leaves, out _);
        var forged = BitcoinMerkle.ComputeRoot([.. leaves, leaves[4], leaves[5]], out bool mutated);
        Assert.Equal(honest, forged);
        Assert.True(mutated);
    }

    [Fact]
    public void RootFromBranch_PositionBeyondTheBranch_Null()
    {
        var txids = ChainFixtures.Block100000Txids;
        var branch = BitcoinMerkle.Branch(txids, 1);
        Assert.Null(BitcoinMerkle.RootFromBranch(txids[1], branch, 1 + 4));
        Assert.Null(BitcoinMerkle.RootFromBranch(txids[1], branch, -1));
    }

    [Fact]
    public void RootFromBranch_AnyChangedBitOfLeafBranchOrIndex_OtherRoot()
    {
        var txids = ChainFixtures.Block100000Txids;
        var root = ChainFixtures.Block100000Header.MerkleRoot;
        Gen.Select(Gen.Int[0, 3], Gen.Int[0, 2], Gen.Int[0, 255]).Sample((index, part, bit) =>
        {
            var leaf = txids[index].Bytes.ToArray();
            var branch = BitcoinMerkle.Branch(txids, index).Select(h => h.Bytes.ToArray()).ToList();
            long position = index;
            if (part == 0) leaf[bit / 8] ^= (byte)(1 << (bit % 8));
            else if (part == 1) branch[bit % 2][bit / 8] ^= (byte)(1 << (bit % 8));
            else position ^= 1L << (bit % 3);
            var result = BitcoinMerkle.RootFromBranch(ChainHash.FromBytes(leaf), [.. branch.Select(b => ChainHash.FromBytes(b))], position);
            Assert.NotEqual(root, result);
        }, iter: 2000, threads: 1);
    }
}
