using System.Buffers;
using LatticeKV.Coding;

namespace LatticeKV.Tests.Coding;

/// <summary>A pooled writer grows through rented arrays: what it shows is only what was written.</summary>
public class ByteWriterTests
{
    [Fact]
    public void Pooled_GrowingFromARentedArrayHoldingOtherBytes_KeepsExactlyWhatWasWritten()
    {
        var dirty = ArrayPool<byte>.Shared.Rent(16 * 1024);
        Array.Fill(dirty, (byte)0xEE);
        ArrayPool<byte>.Shared.Return(dirty);
        var writer = ByteWriter.Pooled(16);
        var expected = new List<byte>();
        for (int i = 0; i < 10_000; i++)
        {
            writer.WriteByte((byte)i);
            expected.Add((byte)i);
        }
        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        writer.ReturnBuffer();
        Assert.Equal(0, writer.Length);
        writer.Write([1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, writer.WrittenSpan.ToArray());
        writer.ReturnBuffer();
    }

    [Fact]
    public void ReturnBuffer_ThenAWriterOfTheSameSize_ReusesTheArray()
    {
        var first = ByteWriter.Pooled(64 * 1024);
        first.Write(new byte[1000]);
        first.ReturnBuffer();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var second = ByteWriter.Pooled(64 * 1024);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 32 * 1024, $"{allocated} bytes allocated for a 64 KiB buffer");
        Assert.Equal(0, second.Length);
        second.ReturnBuffer();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReturnBuffer_ClearOnReturn_ThePoolsNextRenterSeesNoneOfTheBytes(bool clear)
    {
        var writer = ByteWriter.Pooled(64 * 1024, clearOnReturn: clear);
        var secret = new byte[1000];
        Array.Fill(secret, (byte)0xAB);
        writer.Write(secret);
        writer.ReturnBuffer();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var next = ArrayPool<byte>.Shared.Rent(64 * 1024);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        try
        {
            Assert.True(allocated < 32 * 1024, $"{allocated} bytes allocated: the returned array was not reused");
            // Uncleared, the renter sees the writer's bytes: what clearing is for.
            Assert.Equal(!clear, next.AsSpan(0, secret.Length).IndexOfAnyExcept((byte)0xAB) < 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(next, clearArray: true);
        }
    }

    [Fact]
    public void ReturnBuffer_OnAnUnpooledWriter_KeepsItsContents()
    {
        var writer = new ByteWriter(16);
        writer.Write([9, 8]);
        writer.ReturnBuffer();
        Assert.Equal(new byte[] { 9, 8 }, writer.WrittenSpan.ToArray());
    }
}
