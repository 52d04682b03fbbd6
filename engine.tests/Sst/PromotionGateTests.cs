using LatticeKV.Cache;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// A point lookup promotes a block from the compressed tier to the decompressed one only while
/// promoted blocks are read again enough to pay for the whole-block decode and the eviction.
/// </summary>
public class PromotionGateTests
{
    [Fact]
    public void PromotedBlocksNeverReadAgain_OnlyOneCandidateInSixteenIsPromoted()
    {
        var gate = new PromotionGate(new BlockCache<Block>(1 << 20));
        int granted = 0;
        for (int i = 0; i < 1600; i++)
            if (gate.Admit()) granted++;
        // The first of the window goes through, then one in SampleWhileIdle.
        Assert.InRange(granted, 1600 / PromotionGate.SampleWhileIdle, 1600 / PromotionGate.SampleWhileIdle + 1);
        Assert.Equal(granted, gate.Granted);
    }

    [Fact]
    public void PromotedBlocksReadAgain_EveryCandidateIsPromoted()
    {
        var (gate, hit) = GateWithACachedBlock();
        for (int i = 0; i < 3000; i++)
        {
            Assert.True(gate.Admit(), $"candidate {i} refused though every promotion brought {PromotionGate.HitsPerPromotion} hits");
            for (int h = 0; h < PromotionGate.HitsPerPromotion; h++) hit();
        }
    }

    [Fact]
    public void HitsEarnedLongAgo_DoNotPayForPromotionsInALaterWindow()
    {
        var (gate, hit) = GateWithACachedBlock();
        Assert.True(gate.Admit());
        for (int h = 0; h < 1_000_000; h++) hit(); // a hot phase banks far more hits than a window spends
        int granted = 0;
        const int candidates = 40 * PromotionGate.Window;
        for (int i = 0; i < candidates; i++)
            if (gate.Admit()) granted++;
        // The banked hits pay for the rest of their window at most; after it, one in sixteen.
        Assert.InRange(granted, 1, PromotionGate.Window + candidates / PromotionGate.SampleWhileIdle + 2);
    }

    /// <summary>A gate over a decompressed tier holding one block, and an action that reads it (a hit).</summary>
    private static (PromotionGate Gate, Action Hit) GateWithACachedBlock()
    {
        var cache = new BlockCache<Block>(1 << 20);
        var slots = new BlockCache<Block>.Slots(1);
        var block = BlobValueCache.NewBlock(new byte[100], 0);
        cache.Insert(slots, 0, block, block.Charge);
        return (new PromotionGate(cache), () => Assert.NotNull(cache.Lookup(slots, 0)));
    }
}
