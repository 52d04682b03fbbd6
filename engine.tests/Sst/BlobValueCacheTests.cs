using LatticeKV.Blob;
using LatticeKV.Cache;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>Blob values kept in the block cache: keyed by file and offset, counted, evicted by the cache's policy.</summary>
public sealed class BlobValueCacheTests
{
    private static BlobReference Ref(long file, long offset, int size) => new(ValueKind.Value, file, offset, size + 16, size, 0);

    private static byte[] Value(int size, int seed) => [.. Enumerable.Range(0, size).Select(i => (byte)(i * 31 + seed))];

    private static byte[] Bytes(Block block) => block.Data.AsSpan(0, BlobValueCache.ValueLength(block)).ToArray();

    private static void Put(BlobValueCache cache, BlobReference reference, byte[] value, long recordCount)
    {
        var block = BlobValueCache.NewBlock(value, reference.Offset);
        cache.Insert(reference, block, recordCount);
        block.Unpin(); // the creator's hold: the cache keeps its own
    }

    [Fact]
    public void Lookup_AfterInsert_HitsWithTheValueAndCountsMissThenHit()
    {
        var cache = new BlobValueCache(new BlockCache<Block>(1 << 20));
        var reference = Ref(7, 16, 100);

        Assert.Null(cache.Lookup(reference));
        Put(cache, reference, Value(100, 1), recordCount: 10);
        var hit = cache.Lookup(reference);

        Assert.NotNull(hit);
        Assert.Equal(Value(100, 1), Bytes(hit));
        hit.Unpin();
        Assert.Equal(1, cache.Hits);
        Assert.Equal(1, cache.Misses);
    }

    [Fact]
    public void Lookup_SameOffsetInAnotherFile_Misses()
    {
        var cache = new BlobValueCache(new BlockCache<Block>(1 << 20));
        Put(cache, Ref(7, 16, 100), Value(100, 1), recordCount: 10);

        Assert.Null(cache.Lookup(Ref(8, 16, 100)));
        Assert.Equal(0, cache.Hits);
    }

    [Fact]
    public void Lookup_OtherRecordSharingTheSlot_MissesInsteadOfReturningIt()
    {
        var cache = new BlobValueCache(new BlockCache<Block>(1 << 20));
        // A file of one record has one slot, so every offset lands on it.
        var first = Ref(7, 16, 100);
        Put(cache, first, Value(100, 1), recordCount: 1);

        Assert.Null(cache.Lookup(Ref(7, 132, 100)));
        var hit = cache.Lookup(first);
        Assert.NotNull(hit);
        Assert.Equal(Value(100, 1), Bytes(hit));
        hit.Unpin();
    }

    [Fact]
    public void Insert_MoreThanCapacity_StaysWithinItAndEvictsValues()
    {
        const long capacity = 1 << 20;
        var blocks = new BlockCache<Block>(capacity);
        var cache = new BlobValueCache(blocks);
        const int count = 200, size = 16 * 1024;
        for (int i = 0; i < count; i++) Put(cache, Ref(7, 16 + i * (size + 16L), size), Value(size, i), recordCount: count);

        Assert.InRange(blocks.Usage, 1, capacity);
        int found = 0;
        for (int i = 0; i < count; i++)
        {
            if (cache.Lookup(Ref(7, 16 + i * (size + 16L), size)) is not { } block) continue;
            Assert.Equal(Value(size, i), Bytes(block));
            block.Unpin();
            found++;
        }
        Assert.InRange(found, 1, count - 1);
    }

    [Fact]
    public void Forget_DeletedFile_NoLongerFoundAndSlotsUncharged()
    {
        var blocks = new BlockCache<Block>(1 << 20);
        var cache = new BlobValueCache(blocks);
        var reference = Ref(7, 16, 100);
        Put(cache, reference, Value(100, 1), recordCount: 10);
        Assert.Equal(10 * 8, blocks.PinnedUsage);

        cache.Forget(7);

        Assert.Null(cache.Lookup(reference));
        Assert.Equal(0, blocks.PinnedUsage);
    }

    [Fact]
    public void HotEntries_FrequentlyReadBlobValue_NotListed()
    {
        var blocks = new BlockCache<Block>(1 << 20);
        var cache = new BlobValueCache(blocks);
        var reference = Ref(7, 16, 100);
        Put(cache, reference, Value(100, 1), recordCount: 10);
        cache.Lookup(reference)!.Unpin(); // a hit: frequently used from now on

        // A preload reads tables' blocks by position; a blob value is not one, and takes none of the hot set's budget.
        Assert.Equal(1, blocks.Count);
        Assert.Empty(blocks.HotEntries(long.MaxValue));
    }

    [Fact]
    public void NewBlock_PooledArrays_GoBackToThePoolOnceEvictedAndUnpinned()
    {
        var arrays = new BlockArrayPool(1 << 20);
        // Sixteen shards of the smallest size: one 40 KB value fits a shard, two do not.
        var blocks = new BlockCache<Block>(64 * 1024);
        var cache = new BlobValueCache(blocks);
        var first = BlobValueCache.NewBlock(Value(40_000, 0), 16, arrays);
        Assert.True(first.Data.Length > 40_016, "a pooled array is rounded up");
        Assert.Equal(Value(40_000, 0), Bytes(first));
        first.Unpin();
        Assert.True(arrays.Bytes > 0, "a value nobody holds gave its array back");

        // Seventeen values over sixteen shards: some shard had to evict one already.
        for (int i = 0; i < 17; i++)
        {
            var reference = Ref(100 + i, 16, 40_000);
            var block = BlobValueCache.NewBlock(Value(40_000, i), reference.Offset, arrays);
            cache.Insert(reference, block, recordCount: 1);
            block.Unpin();
        }
        long cached = blocks.Count;
        Assert.InRange(cached, 1, 16);

        // Evicting the rest: no reader holds them, so every array is free for the next values.
        blocks.SetCapacity(0);
        Assert.Equal(0, blocks.Count);
        Assert.True(arrays.Bytes >= cached * 40_016, $"{arrays.Bytes} bytes free in the pool for {cached} evicted values");
    }
}
