using LatticeKV.Cache;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Cache;

/// <summary>The pool hands back returned arrays of the same rounded size, keeps no more than its capacity, and never gives one array to two renters.</summary>
public class BlockArrayPoolTests
{
    [Theory]
    [InlineData(4000)]
    [InlineData(BlockArrayPool.ClassedMax)]
    [InlineData(BlockArrayPool.ClassedMax + 1)]
    public void Rent_AfterReturnOfTheSameRoundedSize_ReusesTheArray(int length)
    {
        var pool = new BlockArrayPool(1 << 20);
        var array = pool.Rent(length);
        Assert.Equal(0, array.Length % BlockArrayPool.Granularity);
        Assert.InRange(array.Length, length, length + BlockArrayPool.Granularity - 1);
        pool.Return(array);
        Assert.Equal(array.Length, pool.Bytes);
        Assert.NotSame(array, pool.Rent(array.Length + 1)); // another size class
        Assert.Same(array, pool.Rent(array.Length - BlockArrayPool.Granularity + 1));
        Assert.Equal(0, pool.Bytes);
    }

    [Theory]
    [InlineData(2049)]
    [InlineData(2200)]
    [InlineData(4097)]
    public void CompressedTierArrays_RoundUpByLessThan64Bytes_DecodedBlocksKeepTheCoarserStep(int length)
    {
        // The compressed tier is charged for whole arrays: what rounding adds to blocks of a few
        // KiB is budget that holds no block.
        var tiers = new LatticeKV.Sst.BlockCacheTiers(1 << 20, new BlockArrayPool(1 << 20));
        var array = tiers.CompressedArrays.Rent(length);
        Assert.InRange(array.Length, length, length + BlockArrayPool.FineGranularity - 1);
        tiers.CompressedArrays.Return(array);
        Assert.Same(array, tiers.CompressedArrays.Rent(array.Length - BlockArrayPool.FineGranularity + 1));
        Assert.Equal(0, tiers.Arrays.Rent(length).Length % BlockArrayPool.Granularity);
    }

    [Fact]
    public void Rent_WithNoneOfItsSize_BorrowsASlightlyLargerArray_NeverAMuchLargerOrSmallerOne()
    {
        var pool = new BlockArrayPool(1 << 20, BlockArrayPool.FineGranularity);
        var larger = pool.Rent(2048 + 2048 / BlockArrayPool.BorrowFraction); // the most a 2048-byte rent may borrow
        var tooLarge = pool.Rent(larger.Length + 1);
        var smaller = pool.Rent(2048 - BlockArrayPool.FineGranularity);
        pool.Return(larger);
        pool.Return(tooLarge);
        pool.Return(smaller);
        long held = pool.Bytes;
        long allocations = pool.Allocations;

        var borrowed = pool.Rent(2048);
        Assert.Same(larger, borrowed);
        Assert.Equal(held - larger.Length, pool.Bytes); // the pool counts what it handed out, not what was asked
        Assert.Equal(allocations, pool.Allocations);

        var fresh = pool.Rent(2048); // the smaller one does not fit, the other is more than an eighth larger
        Assert.NotSame(smaller, fresh);
        Assert.NotSame(tooLarge, fresh);
        Assert.Equal(2048, fresh.Length);
        Assert.Equal(allocations + 1, pool.Allocations);
    }

    [Fact]
    public void ChurnOfBlocksOfScatteredSizes_StopsAllocatingOnceThePoolHoldsTheTurnover()
    {
        // A cache of blocks whose sizes spread over many steps, each miss evicting a random block:
        // the shape of a compressed tier under random reads. Without borrowing, each size's stack
        // wanders, the pool fills with sizes nobody asks for and most misses allocate.
        var pool = new BlockArrayPool(64 << 10, BlockArrayPool.FineGranularity);
        var rnd = new Random(TestSeed.Get(4410));
        var cached = new byte[512][];
        for (int i = 0; i < cached.Length; i++) cached[i] = pool.Rent(rnd.Next(1800, 2400));
        long warm = pool.Allocations;
        const int misses = 50_000;
        for (int n = 0; n < misses; n++)
        {
            int victim = rnd.Next(cached.Length);
            pool.Return(cached[victim]);
            cached[victim] = pool.Rent(rnd.Next(1800, 2400));
        }
        long allocated = pool.Allocations - warm;
        Assert.True(allocated < misses / 20, $"{allocated} of {misses} misses allocated a new array");
        Assert.InRange(pool.Bytes, 0, 64 << 10);
    }

    [Fact]
    public void Return_BeyondCapacityOrOfAForeignSize_IsLeftToTheCollector()
    {
        var pool = new BlockArrayPool(8192);
        pool.Return(new byte[4096]);
        pool.Return(new byte[4096]);
        pool.Return(new byte[4096]);
        pool.Return(new byte[1000]);
        Assert.Equal(8192, pool.Bytes);
    }

    [Fact]
    public void RentAndReturn_FromSeveralThreads_NeverShareAnArray()
    {
        var pool = new BlockArrayPool(1 << 20);
        int seed = TestSeed.Get(821);
        var failures = 0;
        using var threads = new TestThreads();
        threads.Start(4, "renter", t =>
        {
            var rnd = new Random(seed + t);
            for (int n = 0; n < 20_000 * TestSeed.Scale; n++)
            {
                var array = pool.Rent(rnd.Next(1, 3) * 4096);
                // Stamp the array as this thread's; another renter of the same array would overwrite the stamp.
                array.AsSpan().Fill((byte)(t + 1));
                Thread.Yield();
                if (array.AsSpan().IndexOfAnyExcept((byte)(t + 1)) >= 0) Interlocked.Increment(ref failures);
                pool.Return(array);
            }
        });
        threads.JoinAndRethrow();
        Assert.True(failures == 0, $"seed={seed}: {failures} arrays seen by two renters");
        Assert.InRange(pool.Bytes, 0, 1 << 20);
    }
}
