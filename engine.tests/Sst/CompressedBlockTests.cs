using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LatticeKV.Cache;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// A compressed block's bytes live outside the managed heap: the cache's eviction frees them at
/// once when no reader holds the block, and a reader's hold keeps them readable until it lets go.
/// With the tier's pool, a block's memory goes back to the pool only when its last holder lets go.
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

    /// <summary>Contents that name their block: its number, then bytes derived from it; the length too depends on it.</summary>
    private static byte[] Contents(long id)
    {
        var bytes = new byte[64 + (int)(id * 7919 % 3000)];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, id);
        for (int i = 8; i < bytes.Length; i++) bytes[i] = (byte)(id * 31 + i);
        return bytes;
    }

    private static void AssertHolds(ReadOnlySpan<byte> stored)
    {
        long id = BinaryPrimitives.ReadInt64LittleEndian(stored);
        Assert.True(stored.SequenceEqual(Contents(id)), $"block {id} was written over while held");
    }

    [Fact]
    public void PinUnpinAndEvictionAcrossThreads_NeverReturnAHeldBlockToThePool()
    {
        // Small enough that most inserts evict, so that memory goes round the pool while readers
        // hold blocks: a block given back while held would be written over by the next one read.
        var pool = new NativeBlockPool(256 << 10);
        var cache = new BlockCache<CompressedBlock>(256 << 10);
        var slots = new BlockCache<CompressedBlock>.Slots(1024);
        long nextId = 0, inserted = 0, pinnedReads = 0;
        const int threads = 4, operations = 20_000;
        int seed = TestSeed.Get(8616);
        using var workers = new TestThreads();
        workers.Start(threads, "reader", t =>
        {
            var rnd = new Random(seed + t);
            var held = new List<CompressedBlock>();
            for (int n = 0; n < operations; n++)
            {
                int index = rnd.Next(1024);
                var found = cache.Lookup(slots, index);
                if (found is not null && found.TryPin())
                {
                    AssertHolds(found.Stored);
                    held.Add(found); // let go later, after other threads have evicted and read more
                    Interlocked.Increment(ref pinnedReads);
                }
                else
                {
                    var block = new CompressedBlock(Contents(Interlocked.Increment(ref nextId)), 1, pool);
                    cache.Insert(slots, index, block, block.Charge);
                    AssertHolds(block.Stored);
                    held.Add(block); // the creator's pin
                    Interlocked.Increment(ref inserted);
                }
                if (held.Count > 8 || rnd.Next(4) == 0)
                {
                    int i = rnd.Next(held.Count);
                    AssertHolds(held[i].Stored);
                    held[i].Unpin();
                    held.RemoveAt(i);
                }
            }
            foreach (var block in held)
            {
                AssertHolds(block.Stored);
                block.Unpin();
            }
        });
        workers.JoinAndRethrow();

        Assert.True(pinnedReads > operations, $"only {pinnedReads} reads found a cached block");
        Assert.True(pool.Allocations < inserted / 4, $"{pool.Allocations} of {inserted} blocks allocated: the pool did not take them back");
        cache.SetCapacity(0);
        pool.Close();
        Assert.Equal(0, pool.AllocatedBytes);
    }

    [Fact]
    public void NeverUnpinned_IsFreedByItsFinalizer_ToTheCHeapNotThePool()
    {
        var pool = new NativeBlockPool(1 << 20);
        long size = Abandon(pool);
        Assert.Equal(size, pool.AllocatedBytes);

        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.Equal(0, pool.AllocatedBytes);
        Assert.Equal(0, pool.Bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Abandon(NativeBlockPool pool)
    {
        var block = new CompressedBlock(s_stored, 1, pool); // its creator's pin is never given up
        Assert.True(s_stored.AsSpan().SequenceEqual(block.Stored));
        return block.Charge - CompressedBlock.Overhead;
    }
}
