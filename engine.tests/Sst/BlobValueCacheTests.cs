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
}
