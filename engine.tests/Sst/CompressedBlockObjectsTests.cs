using LatticeKV.Cache;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// The compressed tier reuses its entries' objects once released. A reader that found an entry
/// just before it was evicted, released and given another block's bytes must not take those
/// bytes for its own block.
/// </summary>
public sealed class CompressedBlockObjectsTests
{
    private static nint Rent(NativeBlockPool pool, byte fill, int length, out int size)
    {
        nint address = pool.Rent(length, out size);
        var bytes = new byte[length];
        Array.Fill(bytes, fill);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, address, length);
        return address;
    }

    [Fact]
    public void Released_IsTakenAgain_WithTheNewBytesAndNoCacheState()
    {
        var pool = new NativeBlockPool(1 << 20);
        var objects = new CompressedBlockObjects(pool);
        var cache = new BlockCache<CompressedBlock>(1 << 20);
        var slots = new BlockCache<CompressedBlock>.Slots(4);
        var first = objects.Take(Rent(pool, 0xAA, 1000, out int size), size, 1000, 1);
        cache.Insert(slots, 1, first, first.Charge);
        first.Unpin();
        cache.SetCapacity(0); // evicted: released, and kept for reuse
        Assert.True(first.IsReleased);
        Assert.Equal(1, objects.Count);

        cache.SetCapacity(1 << 20);
        var second = objects.Take(Rent(pool, 0xBB, 1500, out size), size, 1500, 1);
        Assert.Same(first, second);
        Assert.False(second.IsReleased);
        Assert.Equal(1500, second.Length);
        Assert.True(second.Stored.IndexOfAnyExcept((byte)0xBB) < 0);
        Assert.Null(second.CacheSlots);
        cache.Insert(slots, 2, second, second.Charge); // a cache takes it again (it would refuse an entry that still named a slot)
        Assert.Same(second, BlockCache<CompressedBlock>.Peek(slots, 2));
        second.Unpin();
    }

    [Fact]
    public void StaleReader_OfAnEntryReusedForAnotherBlock_DoesNotPinIt()
    {
        var pool = new NativeBlockPool(1 << 20);
        var objects = new CompressedBlockObjects(pool);
        var cache = new BlockCache<CompressedBlock>(1 << 20);
        var tableA = new BlockCache<CompressedBlock>.Slots(4);
        var tableB = new BlockCache<CompressedBlock>.Slots(4);
        var entry = objects.Take(Rent(pool, 0xAA, 1000, out int size), size, 1000, 1);
        cache.Insert(tableA, 0, entry, entry.Charge);
        entry.Unpin();

        // A reader finds the entry in table A's slot 0 ...
        var found = cache.Lookup(tableA, 0);
        Assert.Same(entry, found);
        // ... and before it pins, the entry is evicted, released and reused for block 3 of table B.
        cache.SetCapacity(0);
        cache.SetCapacity(1 << 20);
        var reused = objects.Take(Rent(pool, 0xBB, 1000, out size), size, 1000, 1);
        Assert.Same(entry, reused);
        cache.Insert(tableB, 3, reused, reused.Charge);
        reused.Unpin();

        Assert.Null(TableReader.PinIfStillCached(tableA, 0, found));
        Assert.False(entry.IsReleased); // the refused pin was given back: table B's cache still holds it
        var valid = TableReader.PinIfStillCached(tableB, 3, cache.Lookup(tableB, 3));
        Assert.Same(entry, valid);
        Assert.True(valid!.Stored.IndexOfAnyExcept((byte)0xBB) < 0);
        valid.Unpin();
    }

    [Fact]
    public void Full_LetsTheReleasedObjectGo()
    {
        var pool = new NativeBlockPool(1 << 20);
        var objects = new CompressedBlockObjects(pool, capacity: 1);
        var a = objects.Take(Rent(pool, 1, 100, out int sizeA), sizeA, 100, 1);
        var b = objects.Take(Rent(pool, 2, 100, out int sizeB), sizeB, 100, 1);
        a.Unpin();
        b.Unpin();
        Assert.Equal(1, objects.Count);
        Assert.Same(a, objects.Take(Rent(pool, 3, 100, out int sizeC), sizeC, 100, 1));
    }
}
