using System.Buffers;
using System.Buffers.Binary;
using CsCheck;
using LatticeKV.Sync;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sync.Transport;

public class FrameCodecTests
{
    private static readonly byte[] Text = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("change batch ", 40)));

    /// <summary>Decodes <paramref name="bytes"/> as one stream: the frames, and the bytes left over.</summary>
    private static (List<SyncFrame> Frames, long Left) DecodeAll(byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var frames = new List<SyncFrame>();
        while (FrameCodec.TryDecode(ref buffer, out var frame)) frames.Add(frame!);
        return (frames, buffer.Length);
    }

    [Fact]
    public void TryDecode_PlainAndSnappyFrames_ReturnsTypesAndPayloads()
    {
        var (frames, left) = DecodeAll([.. FrameBytes.Plain(FrameType.Pull, [1, 2, 3]), .. FrameBytes.Snappy(FrameType.Changes, Text), .. FrameBytes.Plain(FrameType.Ack, [])]);
        Assert.Equal(0, left);
        Assert.Equal([FrameType.Pull, FrameType.Changes, FrameType.Ack], frames.Select(f => f.Type));
        Assert.Equal(new byte[] { 1, 2, 3 }, frames[0].Payload);
        Assert.Equal(Text, frames[1].Payload);
        Assert.Empty(frames[2].Payload);
    }

    [Fact]
    public void TryDecode_EveryPrefix_WaitsWithoutConsumingUntilTheFrameIsWhole()
    {
        var bytes = FrameBytes.Snappy(FrameType.Changes, Text);
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.False(FrameCodec.TryDecode(ref buffer, out _));
            Assert.Equal(cut, buffer.Length);
        }
    }

    public static TheoryData<string, byte[]> Malformed()
    {
        var good = FrameBytes.Plain(FrameType.Pull, [1, 2, 3, 4]);
        byte[] With(int offset, byte value) { var b = good.ToArray(); b[offset] = value; return b; }
        var overLong = good.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(overLong.AsSpan(4), FrameCodec.MaxPayloadLength + 1);
        var badSnappy = FrameBytes.Build(FrameType.Changes, FrameFlags.Snappy, [0x10, 0xff, 0xff, 0xff]);
        var snappyBomb = FrameBytes.Build(FrameType.Changes, FrameFlags.Snappy, [0xff, 0xff, 0xff, 0x07]); // claims 16 MiB in 4 bytes
        return new TheoryData<string, byte[]>
        {
            { "version", With(0, 2) },
            { "unknown type", With(1, 200) },
            { "type zero", With(1, 0) },
            { "unknown flag", With(2, 0x80) },
            { "reserved byte", With(3, 1) },
            { "over-long length", overLong },
            { "checksum", With(FrameCodec.HeaderSize, 9) },
            { "bad snappy", badSnappy },
            { "snappy claim over the ratio", snappyBomb },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void TryDecode_MalformedFrame_ThrowsSyncProtocolException(string what, byte[] bytes)
    {
        var buffer = new ReadOnlySequence<byte>(bytes);
        var ex = Assert.Throws<SyncProtocolException>(() => FrameCodec.TryDecode(ref buffer, out _));
        Assert.StartsWith("Sync protocol: ", ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void TryDecode_OverLongLength_RefusedFromTheHeaderAloneWithoutAllocatingIt()
    {
        var header = new byte[FrameCodec.HeaderSize];
        FrameCodec.WriteHeader(header, FrameType.Changes, FrameFlags.None, []);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), uint.MaxValue);
        var buffer = new ReadOnlySequence<byte>(header);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<SyncProtocolException>(() => FrameCodec.TryDecode(ref buffer, out _));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("over the maximum", ex.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes refusing a frame header");
    }

    /// <summary>What any byte string may do to the decoder: give frames, wait for more, or throw SyncProtocolException.</summary>
    private static void DecodeOnlyProtocolErrors(byte[] bytes)
    {
        try { DecodeAll(bytes); }
        catch (SyncProtocolException) { }
    }

    [Fact]
    public void TryDecode_RandomBytes_OnlySyncProtocolException()
        => Gen.Byte.Array[0, 300].Sample(DecodeOnlyProtocolErrors, iter: 3000 * TestSeed.Scale, threads: 1);

    [Fact]
    public void TryDecode_RandomBytesBehindAValidHeader_OnlySyncProtocolException()
        => Gen.Select(Gen.Byte[0, 7], Gen.Byte.Array[0, 300]).Sample((flags, body) =>
            DecodeOnlyProtocolErrors(FrameBytes.Build(FrameType.Changes, (FrameFlags)(flags & 1), body)), iter: 3000 * TestSeed.Scale, threads: 1);

    [Fact]
    public void TryDecode_MutatedValidFrames_OnlySyncProtocolException()
    {
        byte[] seed = [.. FrameBytes.Plain(FrameType.Hello, new byte[36]), .. FrameBytes.Snappy(FrameType.Changes, Text)];
        Mutations.Sample(seed, DecodeOnlyProtocolErrors, 3000 * TestSeed.Scale);
        // With the checksum recomputed, mutations of the compressed frame reach the Snappy decoder.
        var snappy = FrameBytes.Snappy(FrameType.Changes, Text);
        Mutations.Sample(snappy, input => DecodeOnlyProtocolErrors(FrameBytes.FixChecksum(input)), 3000 * TestSeed.Scale);
    }
}
