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
