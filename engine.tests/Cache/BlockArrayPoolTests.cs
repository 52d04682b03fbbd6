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

    [Fact]
    public void Rent_WithNoneOfItsSize_BorrowsASlightlyLargerArray_NeverAMuchLargerOrSmallerOne()
    {
        const int step = BlockArrayPool.Granularity;
        var pool = new BlockArrayPool(1 << 20);
        var larger = pool.Rent(4096 + 4096 / BlockArrayPool.BorrowFraction); // the most a 4096-byte rent may borrow
        var tooLarge = pool.Rent(larger.Length + 1);
        var smaller = pool.Rent(4096 - step);
        pool.Return(larger);
        pool.Return(tooLarge);
        pool.Return(smaller);
        long held = pool.Bytes;
        long allocations = pool.Allocations;

        var borrowed = pool.Rent(4096);
        Assert.Same(larger, borrowed);
        Assert.Equal(held - larger.Length, pool.Bytes); // the pool counts what it handed out, not what was asked
        Assert.Equal(allocations, pool.Allocations);

        var fresh = pool.Rent(4096); // the smaller one does not fit, the other is more than an eighth larger
        Assert.NotSame(smaller, fresh);
        Assert.NotSame(tooLarge, fresh);
        Assert.Equal(4096, fresh.Length);
        Assert.Equal(allocations + 1, pool.Allocations);
    }

    [Fact]
    public void ChurnOfBlocksOfScatteredSizes_StopsAllocatingOnceThePoolHoldsTheTurnover()
    {
        // Decoded blocks whose sizes spread over several steps, each miss evicting a random one:
        // the decompressed tier under random reads. Without borrowing each size's stack wanders,
        // the pool fills with sizes nobody asks for and many misses allocate.
        var pool = new BlockArrayPool(128 << 10);
        var rnd = new Random(TestSeed.Get(4410));
        var cached = new byte[512][];
        for (int i = 0; i < cached.Length; i++) cached[i] = pool.Rent(rnd.Next(3600, 4700));
        long warm = pool.Allocations;
        const int misses = 50_000;
        for (int n = 0; n < misses; n++)
        {
            int victim = rnd.Next(cached.Length);
            pool.Return(cached[victim]);
            cached[victim] = pool.Rent(rnd.Next(3600, 4700));
        }
        long allocated = pool.Allocations - warm;
        Assert.True(allocated < misses / 40, $"{allocated} of {misses} misses allocated a new array");
        Assert.InRange(pool.Bytes, 0, 128 << 10);
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
