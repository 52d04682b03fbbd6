using LatticeKV.Cache;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Cache;

/// <summary>
/// The pool of compressed blocks' native memory hands back returned blocks of the same rounded
/// size or slightly larger (never smaller), frees what passes its capacity, and frees everything
/// at close, including blocks returned after it.
/// </summary>
public class NativeBlockPoolTests
{
    private const int Step = NativeBlockPool.Granularity;

    [Theory]
    [InlineData(1)]
    [InlineData(3000)]
    [InlineData(BlockArrayPool.ClassedMax)]
    [InlineData(BlockArrayPool.ClassedMax + 1)]
    public void Rent_AfterReturnOfTheSameRoundedSize_ReusesTheBlock(int length)
    {
        var pool = new NativeBlockPool(1 << 20);
        nint block = pool.Rent(length, out int size);
        Assert.Equal(0, size % Step);
        Assert.InRange(size, length, length + Step - 1);
        Assert.Equal(size, pool.AllocatedBytes);
        pool.Return(block, size);
        Assert.Equal(size, pool.Bytes);

        Assert.Equal(block, pool.Rent(size - Step + 1, out int again));
        Assert.Equal(size, again);
        Assert.Equal(0, pool.Bytes);
        Assert.Equal(1, pool.Allocations);
        pool.Return(block, size);
        pool.Close();
        Assert.Equal(0, pool.AllocatedBytes);
    }

    [Fact]
    public void Rent_WithNoneOfItsSize_BorrowsASlightlyLargerBlock_NeverAMuchLargerOrSmallerOne()
    {
        var pool = new NativeBlockPool(1 << 20);
        nint larger = pool.Rent(4096 + 4096 / BlockArrayPool.BorrowFraction, out int largerSize); // the most a 4096-byte rent may borrow
        nint tooLarge = pool.Rent(largerSize + 1, out int tooLargeSize);
        nint smaller = pool.Rent(4096 - Step, out int smallerSize);
        pool.Return(larger, largerSize);
        pool.Return(tooLarge, tooLargeSize);
        pool.Return(smaller, smallerSize);
        long allocations = pool.Allocations;

        Assert.Equal(larger, pool.Rent(4096, out int borrowedSize));
        Assert.Equal(largerSize, borrowedSize); // the size handed out is the block's, not the one asked
        Assert.Equal(tooLargeSize + smallerSize, pool.Bytes);
        Assert.Equal(allocations, pool.Allocations);

        nint fresh = pool.Rent(4096, out int freshSize); // the smaller one does not fit, the other is more than an eighth larger
        Assert.NotEqual(smaller, fresh);
        Assert.NotEqual(tooLarge, fresh);
        Assert.Equal(4096, freshSize);
        Assert.Equal(allocations + 1, pool.Allocations);

        pool.Return(larger, borrowedSize);
        pool.Return(fresh, freshSize);
        pool.Close();
        Assert.Equal(0, pool.AllocatedBytes);
        Assert.Equal(0, pool.Bytes);
    }

    [Fact]
    public void Return_BeyondCapacity_FreesTheBlock()
    {
        var pool = new NativeBlockPool(8192);
        var blocks = Enumerable.Range(0, 3).Select(_ => pool.Rent(4096, out _)).ToList();
        Assert.Equal(3 * 4096, pool.AllocatedBytes);
        foreach (var block in blocks) pool.Return(block, 4096);
        Assert.Equal(8192, pool.Bytes);
        Assert.Equal(8192, pool.AllocatedBytes); // the third went back to the C heap
        pool.Close();
        Assert.Equal(0, pool.AllocatedBytes);
    }

    [Fact]
    public void ReturnsRacingWithClose_LeaveNothingAllocated()
    {
        var pool = new NativeBlockPool(64 << 20);
        const int threads = 4, perThread = 2000;
        var rented = new List<(nint, int)>[threads];
        for (int t = 0; t < threads; t++)
        {
            rented[t] = [];
            for (int i = 0; i < perThread; i++) rented[t].Add((pool.Rent(100 + (i * 37 % 9000), out int size), size));
        }
        using var start = new Barrier(threads + 1);
        using var returners = new TestThreads();
        returners.Start(threads, "returner", t =>
        {
            start.SignalAndWait();
            foreach (var (block, size) in rented[t]) pool.Return(block, size);
        });
        start.SignalAndWait();
        pool.Close();
        returners.JoinAndRethrow();

        Assert.Equal(0, pool.AllocatedBytes);
        Assert.Equal(0, pool.Bytes);
    }
}
