using LatticeKV.Cache;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// A compressed block's bytes live outside the managed heap: the cache's eviction frees them at
/// once when no reader holds the block, and a reader's hold keeps them readable until it lets go.
/// </summary>
public class CompressedBlockTests
{
    private static readonly byte[] s_stored = [.. Enumerable.Range(0, 2000).Select(i => (byte)(i * 7))];

    /// <summary>A block in slot <paramref name="index"/> of a new cache, which holds the only pin (its creator's is given up).</summary>
    private static (BlockCache<CompressedBlock> Cache, BlockCache<CompressedBlock>.Slots Slots, CompressedBlock Block) CachedAlone(int index)
    {
        var cache = new BlockCache<CompressedBlock>(1 << 20);
        var slots = new BlockCache<CompressedBlock>.Slots(4);
        var block = new CompressedBlock(s_stored, 1);
        cache.Insert(slots, index, block, block.Charge);
        block.Unpin();
        return (cache, slots, block);
    }

    [Fact]
    public void Evicted_WithNoOtherHolder_FreesItsBytesAtOnce()
    {
        var (cache, slots, block) = CachedAlone(0);
        Assert.True(s_stored.AsSpan().SequenceEqual(block.Stored));

        cache.SetCapacity(0);

        Assert.True(block.IsReleased);
        Assert.Throws<ObjectDisposedException>(() => block.Stored.Length);
        Assert.Null(BlockCache<CompressedBlock>.Peek(slots, 0));
    }

    [Fact]
    public void Evicted_WhileAReaderHoldsIt_StaysReadableUntilTheReaderLetsGo()
    {
        var (cache, slots, block) = CachedAlone(2);
        var found = cache.Lookup(slots, 2);
        Assert.Same(block, found);
        Assert.True(found!.TryPin());

        cache.SetCapacity(0);

        Assert.False(block.IsReleased);
        Assert.True(s_stored.AsSpan().SequenceEqual(block.Stored));
        Assert.True(block.TryPin()); // a second reader may still take a hold while one is held
        block.Unpin();
        Assert.False(block.IsReleased);
        block.Unpin();
        Assert.True(block.IsReleased);
        Assert.False(block.TryPin());
    }

    [Fact]
    public void Charge_CoversItsBytes_AndTheCacheStaysWithinCapacity()
    {
        const int capacity = 2 << 20; // 128 KiB a shard
        var cache = new BlockCache<CompressedBlock>(capacity);
        var slots = new BlockCache<CompressedBlock>.Slots(2000);
        var blocks = new List<CompressedBlock>();
        for (int i = 0; i < 2000; i++)
        {
            var block = new CompressedBlock(s_stored, 1);
            Assert.True(block.Charge >= block.Length + CompressedBlock.Overhead);
            cache.Insert(slots, i, block, block.Charge);
            block.Unpin();
            blocks.Add(block);
            Assert.InRange(cache.Usage, 0, capacity);
        }
        // Everything evicted to stay within capacity was freed, not left for the collector.
        int cached = blocks.Count(b => !b.IsReleased);
        Assert.Equal(cache.Count, cached);
        Assert.True(cached < blocks.Count / 2, $"{cached} of {blocks.Count} blocks still held");
    }
}
