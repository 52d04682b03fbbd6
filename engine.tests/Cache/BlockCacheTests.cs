using LatticeKV.Cache;

namespace LatticeKV.Tests.Cache;

public class BlockCacheTests
{
    private sealed class Item : CacheEntry;

    [Fact]
    public void Insert_LongScanAfterHotSet_KeepsTheHotSet()
    {
        // 16 shards × 64 KiB minimum: a 1 MiB cache of 1 KiB items holds about 1000 of them.
        var cache = new BlockCache<Item>(1 << 20);
        var hot = new BlockCache<Item>.Slots(300);
        for (int i = 0; i < 300; i++) cache.Insert(hot, i, new Item(), 1024);
        for (int round = 0; round < 3; round++)
            for (int i = 0; i < 300; i++) Assert.NotNull(cache.Lookup(hot, i));

        // A scan touching each of 20,000 new blocks once (20 times the cache) must not flush them.
        var scan = new BlockCache<Item>.Slots(20_000);
        for (int i = 0; i < 20_000; i++) cache.Insert(scan, i, new Item(), 1024);

        int survivors = Enumerable.Range(0, 300).Count(i => cache.Lookup(hot, i) is not null);
        Assert.True(survivors >= 270, $"only {survivors} of 300 hot blocks survived a scan; plain LRU would keep none");
        Assert.True(cache.Usage <= cache.Capacity, $"usage {cache.Usage} exceeds capacity {cache.Capacity}");
    }

    [Fact]
    public void Slots_NothingInserted_HoldNoArrayAndMissEverywhere()
    {
        var cache = new BlockCache<Item>(1 << 20);
        var slots = new BlockCache<Item>.Slots(20_000);
        Assert.Null(cache.Lookup(slots, 19_999));
        Assert.Null(BlockCache<Item>.Peek(slots, 0));
        BlockCache<Item>.PrefetchSlot(slots, 7);
        Assert.Null(slots.ItemsOrNull);
        Assert.Equal(20_000, slots.Count);

        var item = new Item();
        cache.Insert(slots, 12_345, item, 1024);
        Assert.Same(item, cache.Lookup(slots, 12_345));
        Assert.Null(cache.Lookup(slots, 12_344));
        Assert.Equal(20_000, slots.ItemsOrNull?.Length);
    }

    [Fact]
    public void Insert_BeyondCapacity_EvictsAndClearsSlots()
    {
        var cache = new BlockCache<Item>(1 << 20);
        var slots = new BlockCache<Item>.Slots(5000);
        for (int i = 0; i < 5000; i++) cache.Insert(slots, i, new Item(), 1024);
        int cached = Enumerable.Range(0, 5000).Count(i => cache.Lookup(slots, i) is not null);
        Assert.InRange(cached, 500, 1100);
        Assert.Equal(cached, cache.Count);
        Assert.True(cache.Usage <= cache.Capacity);
    }

    [Fact]
    public void AddPinned_ShrinksRoomForBlocks()
    {
        var cache = new BlockCache<Item>(4 << 20);
        cache.AddPinned(3 << 20);
        var slots = new BlockCache<Item>.Slots(5000);
        for (int i = 0; i < 5000; i++) cache.Insert(slots, i, new Item(), 1024);
        Assert.True(cache.Usage <= (1 << 20) + 16 * 1024, $"usage {cache.Usage} ignores 3 MiB pinned of 4 MiB");
    }
}
