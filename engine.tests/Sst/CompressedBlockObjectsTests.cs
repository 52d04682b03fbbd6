using LatticeKV.Cache;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

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
    public async Task ReadersAcrossThreads_WhileEntriesAreEvictedAndReused_OnlyEverPinTheirOwnBlock()
    {
        const int Tables = 2, Blocks = 64, Length = 16 * 1024;
        var pool = new NativeBlockPool(1 << 20);
        var objects = new CompressedBlockObjects(pool);
        // Its shards' floor (64 KiB each) holds about half of the 16 KiB blocks: insertions evict, and the evicted entries are reused.
        var cache = new BlockCache<CompressedBlock>(1 << 20);
        var tables = Enumerable.Range(0, Tables).Select(_ => new BlockCache<CompressedBlock>.Slots(Blocks)).ToArray();
        int seed = TestSeed.Get(816);
        long pinned = 0, wrong = 0, inserted = 0;
        using var stop = new CancellationTokenSource();
        using var started = new ManualResetEventSlim();
        void Read(int thread)
        {
            var rnd = new Random(seed + thread);
            started.Wait(TimeSpan.FromSeconds(30)); // bounded: a writer that failed is reported below
            // Until both sides have done enough (bounded, should the writer stall).
            for (int n = 0; n < 20_000_000 && (Interlocked.Read(ref pinned) < 100_000 || Interlocked.Read(ref inserted) < 100_000); n++)
            {
                int table = rnd.Next(Tables), block = rnd.Next(Blocks);
                var found = TableReader.PinIfStillCached(tables[table], block, cache.Lookup(tables[table], block));
                if (found is null) continue;
                Interlocked.Increment(ref pinned);
                // Each block's bytes name it: another block's bytes mean a stale entry was pinned.
                if (found.Stored.IndexOfAnyExcept((byte)(table * Blocks + block)) >= 0) Interlocked.Increment(ref wrong);
                found.Unpin();
            }
        }
        var writer = Task.Run(() =>
        {
            var rnd = new Random(seed);
            try
            {
                Write(rnd);
            }
            finally
            {
                started.Set();
            }
        });
        void Write(Random rnd)
        {
            while (!stop.IsCancellationRequested)
            {
                int table = rnd.Next(Tables), block = rnd.Next(Blocks);
                if (BlockCache<CompressedBlock>.Peek(tables[table], block) is not null) continue;
                var entry = objects.Take(Rent(pool, (byte)(table * Blocks + block), Length, out int size), size, Length, 1);
                cache.Insert(tables[table], block, entry, entry.Charge);
                entry.Unpin();
                if (Interlocked.Increment(ref inserted) == Blocks) started.Set();
            }
        }
        try
        {
            await Task.WhenAll(Task.Run(() => Read(1)), Task.Run(() => Read(2)));
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
        Assert.True(pinned >= 100_000 && inserted >= 100_000, $"seed={seed}: {pinned} lookups pinned an entry, {inserted} entries inserted");
        Assert.Equal(0, Interlocked.Read(ref wrong));
        Assert.True(objects.Count > 0 || cache.Count > 0, "entries should have been reused");
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
