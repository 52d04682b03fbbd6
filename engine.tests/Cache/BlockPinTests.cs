using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Cache;

/// <summary>
/// Data blocks reuse the arrays of blocks that left the cache, so a block's bytes may be read
/// only while it is pinned: by the cache, by a lookup until its value is copied, by an iterator
/// while it is positioned in it.
/// </summary>
public class BlockPinTests
{
    [Fact]
    public void Unpin_LastHolder_ReturnsTheArray_AndTryPinFailsAfterwards()
    {
        var pool = new BlockArrayPool(1 << 20);
        var data = pool.Rent(100);
        // A block with one entry and one restart: entry "k" -> "v", then the restart array.
        byte[] entry = [0, 1, 1, (byte)'k', (byte)'v'];
        entry.CopyTo(data, 0);
        BitConverter.TryWriteBytes(data.AsSpan(5), 0);
        BitConverter.TryWriteBytes(data.AsSpan(9), 1);
        var block = new Block(data, 13, pool);
        var cache = new BlockCache<Block>(1 << 20);
        var slots = new BlockCache<Block>.Slots(1);
        cache.Insert(slots, 0, block, block.Charge);
        Assert.True(block.TryPin());   // a reader
        block.Unpin();                 // the creator lets go
        Assert.Equal(0, pool.Bytes);   // the cache and the reader still hold it
        block.Unpin();                 // the reader
        Assert.Equal(0, pool.Bytes);
        block.OnCacheEvicted();        // the cache drops it: last holder
        Assert.Equal(data.Length, pool.Bytes);
        Assert.False(block.TryPin());
        Assert.Throws<InvalidOperationException>(block.Unpin);
        Assert.Same(data, pool.Rent(100));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L << 20)]
    public void IteratorsAndLookups_UnderConstantEviction_AlwaysSeeTheirOwnBlocksBytes(long cacheBytes)
    {
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o =>
        {
            o.WriteBufferSize = 256 * 1024;
            o.BlockCacheCapacity = cacheBytes;
        });
        int seed = TestSeed.Get(2026);
        const int Keys = 30_000;
        using var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < Keys; i++) db.Put(Key(i), Value(i));
        db.Flush();
        db.CompactRange();

        var rnd = new Random(seed);
        var iterators = new (LatticeIterator It, int At)[6];
        for (int n = 0; n < iterators.Length; n++)
        {
            var it = db.NewIterator(new ReadOptions { FillCache = n % 2 == 0 });
            int at = rnd.Next(Keys - 2000);
            it.Seek(Key(at));
            iterators[n] = (it, at);
        }
        try
        {
            var buffer = new byte[256];
            for (int step = 0; step < 20_000; step++)
            {
                if (rnd.Next(3) == 0)
                {
                    ref var slot = ref iterators[rnd.Next(iterators.Length)];
                    Assert.True(slot.It.Valid, $"seed={seed}: iterator ended early at {slot.At}");
                    Assert.Equal(Key(slot.At), slot.It.Key.ToArray());
                    Assert.Equal(Value(slot.At), slot.It.Value.ToArray());
                    slot.It.Next();
                    slot.At++;
                    if (slot.At >= Keys - 1)
                    {
                        slot.At = rnd.Next(Keys - 2000);
                        slot.It.Seek(Key(slot.At));
                    }
                }
                else
                {
                    // Lookups far away: misses that evict and reuse arrays.
                    int k = rnd.Next(Keys);
                    Assert.True(db.TryGet(Key(k), buffer, out int length), $"seed={seed}: key {k} missing");
                    Assert.Equal(Value(k), buffer[..length]);
                }
            }
        }
        finally
        {
            foreach (var (it, _) in iterators) it.Dispose();
        }
    }

    [Fact]
    public void ConcurrentLookups_EveryBlockRecycledAtOnce_DeliverIntactValues()
    {
        // No cache: every lookup reads its block and frees it after copying the value, and the
        // next lookup on another thread takes the array. A value copied after its block was let
        // go would show another block's bytes.
        var disk = new MemFileSystem();
        var options = MemOptions(disk, o => o.BlockCacheCapacity = 0);
        int seed = TestSeed.Get(2027);
        const int Keys = 20_000;
        using var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < Keys; i++) db.Put(Key(i), Value(i));
        db.Flush();
        var failures = new List<string>();
        using var threads = new TestThreads();
        threads.Start(3, "reader", t =>
        {
            var rnd = new Random(seed + t);
            var buffer = new byte[256];
            for (int n = 0; n < 60_000 * TestSeed.Scale; n++)
            {
                int k = rnd.Next(Keys);
                if (!db.TryGet(Key(k), buffer, out int length) || !buffer.AsSpan(0, length).SequenceEqual(Value(k)))
                    lock (failures) failures.Add($"key {k}: {S(buffer[..length])}");
            }
        });
        threads.JoinAndRethrow();
        Assert.True(failures.Count == 0, $"seed={seed}: {failures.Count} bad values, e.g. " + string.Join("\n", failures.Take(5)));
    }

    private static byte[] Key(int i) => B($"key{i:D7}");

    private static byte[] Value(int i) => B($"{i:D7}:" + new string((char)('a' + i % 26), 40 + i % 50));
}
