using LatticeKV.Io;

namespace LatticeKV.Tests.Io;

/// <summary>
/// Off-heap buffers hold the engine's large transient arrays: fresh memory must read as zero
/// (a hash index trusts that an unwritten slot is empty), a freed buffer must refuse access
/// instead of reading memory that is gone, and growth must keep the elements written.
/// </summary>
public class NativeBufferTests
{
    // One length below OffHeap.MapThreshold (the C heap), one above (a mapping of its own on
    // Linux), and one past 2 MiB (a mapping that asks for transparent huge pages).
    public static TheoryData<int> Lengths => new() { 1000, OffHeap.MapThreshold / sizeof(long) * 4 + 3, (3 << 20) / sizeof(long) + 5 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Constructor_AfterABufferOfTheSameSizeWasWrittenAndFreed_ReadsAsZero(int length)
    {
        for (int round = 0; round < 3; round++)
        {
            using var buffer = new NativeBuffer<long>(length);
            Assert.Equal(length, buffer.Length);
            Assert.Equal(length, buffer.Span.Length);
            Assert.True(buffer.Span.IndexOfAnyExcept(0L) < 0, $"round {round}: fresh memory is not zero");
            buffer.Span.Fill(-1);
        }
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Dispose_Twice_FreesOnceAndSpanThrows(int length)
    {
        var buffer = new NativeBuffer<ulong>(length);
        buffer.Span[^1] = 42;
        Assert.False(buffer.IsFreed);

        buffer.Dispose();
        buffer.Dispose();

        Assert.True(buffer.IsFreed);
        Assert.Throws<ObjectDisposedException>(() => buffer.Span[0]);
    }

    [Fact]
    public void Grow_KeepsTheCountedElementsZeroesTheRestAndFreesTheOld()
    {
        var small = new NativeBuffer<long>(1000);
        for (int i = 0; i < 1000; i++) small.Span[i] = i + 1;

        using var grown = small.Grow(OffHeap.MapThreshold, 1000);

        Assert.True(small.IsFreed);
        Assert.Equal(OffHeap.MapThreshold, grown.Length);
        for (int i = 0; i < 1000; i++) Assert.Equal(i + 1, grown.Span[i]);
        Assert.True(grown.Span[1000..].IndexOfAnyExcept(0L) < 0);
    }

    [Fact]
    public void Abandon_ThenDispose_FreesAndKeepsTheDataReadableUntilThen()
    {
        var buffer = new NativeBuffer<int>(OffHeap.MapThreshold);
        buffer.Span[7] = 7;

        buffer.Abandon();
        buffer.Abandon();

        Assert.Equal(7, buffer.Span[7]);
        buffer.Dispose();
        Assert.True(buffer.IsFreed);
    }

    [Fact]
    public void Empty_DisposedAndAbandoned_StaysUsable()
    {
        var empty = NativeBuffer<long>.Empty;
        empty.Abandon();
        empty.Dispose();

        Assert.False(empty.IsFreed);
        Assert.Equal(0, empty.Span.Length);
    }

    [Fact]
    public void Constructor_NegativeLength_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new NativeBuffer<long>(-1));

    [Fact]
    public void OffHeapBytes_WhileABufferIsLive_CountsIt()
    {
        // Process-wide: other tests allocate concurrently, so only a lower bound is certain.
        const int Length = 1 << 20;
        using var buffer = new NativeBuffer<long>(Length);
        Assert.True(OffHeap.Bytes >= Length * sizeof(long), $"{OffHeap.Bytes} bytes counted");
    }

    [Theory]
    [InlineData(2000)]
    [InlineData(OffHeap.MapThreshold + 100)]
    public void Constructor_FromASpan_CopiesItAndCountsTheBytesUntilFreed(int length)
    {
        var source = new byte[length];
        new Random(7).NextBytes(source);
        var buffer = new NativeBuffer<byte>(source);
        Assert.Equal(length, buffer.Length);
        Assert.True(buffer.Span.SequenceEqual(source));
        // Whatever other tests hold or free meanwhile, the process-wide count includes this buffer while it lives.
        Assert.True(OffHeap.Bytes >= length, $"{OffHeap.Bytes} bytes counted");
        buffer.Dispose();
        Assert.True(buffer.IsFreed);
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
    }
}
