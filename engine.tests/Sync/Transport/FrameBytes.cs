using LatticeKV.Sync;

namespace LatticeKV.Tests.Sync.Transport;

/// <summary>Whole frames as bytes, built with the codec's own header writer, for decoder tests and raw clients.</summary>
internal static class FrameBytes
{
    public static byte[] Plain(FrameType type, byte[] payload) => Build(type, FrameFlags.None, payload);

    public static byte[] Snappy(FrameType type, byte[] payload) => Build(type, FrameFlags.Snappy, Snappier.Snappy.CompressToArray(payload));

    public static byte[] Build(FrameType type, FrameFlags flags, byte[] stored)
    {
        var bytes = new byte[FrameCodec.HeaderSize + stored.Length];
        FrameCodec.WriteHeader(bytes, type, flags, stored);
        stored.CopyTo(bytes, FrameCodec.HeaderSize);
        return bytes;
    }

    /// <summary>Recomputes the checksum of a (mutated) frame so that mutations reach the checks behind it.</summary>
    public static byte[] FixChecksum(byte[] frame)
    {
        if (frame.Length < FrameCodec.HeaderSize) return frame;
        var copy = frame.ToArray();
        int length = Math.Min(copy.Length - FrameCodec.HeaderSize, (int)Math.Min(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(4)), int.MaxValue));
        var header = new byte[FrameCodec.HeaderSize];
        FrameCodec.WriteHeader(header, (FrameType)copy[1], (FrameFlags)copy[2], copy.AsSpan(FrameCodec.HeaderSize, length));
        header.AsSpan(8, 4).CopyTo(copy.AsSpan(8));
        return copy;
    }
}
