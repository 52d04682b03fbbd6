using System.Buffers;
using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Sync;

/// <summary>
/// Encodes and decodes sync frames (FORMAT.md, "Sync wire protocol (transport)"):
/// <code>
/// offset size field
///  0     1    frame format version (1)
///  1     1    type (FrameType)
///  2     1    flags (FrameFlags)
///  3     1    reserved, 0
///  4     4    payload length on the wire, u32 little-endian, at most MaxPayloadLength
///  8     4    masked CRC-32C of the payload bytes on the wire, u32 little-endian
/// 12     n    payload
/// </code>
/// Wire format: do not change; a new layout takes a new version number.
/// </summary>
internal static class FrameCodec
{
    /// <summary>The only frame layout so far.</summary>
    public const byte FrameVersion = 1;

    public const int HeaderSize = 12;

    /// <summary>
    /// Largest payload, on the wire and after decompression. The decoder refuses a bigger
    /// declared length from the header alone, so a hostile length never makes it allocate.
    /// </summary>
    public const int MaxPayloadLength = 16 * 1024 * 1024;

    /// <summary>
    /// Writes the header for <paramref name="stored"/> (the payload as it goes on the wire) into
    /// <paramref name="header"/>, which is <see cref="HeaderSize"/> bytes.
    /// </summary>
    public static void WriteHeader(Span<byte> header, FrameType type, FrameFlags flags, ReadOnlySpan<byte> stored)
    {
        header[0] = FrameVersion;
        header[1] = (byte)type;
        header[2] = (byte)flags;
        header[3] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)stored.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Mask(Crc32C.Compute(stored)));
    }

    /// <summary>
    /// Takes one whole frame from the start of <paramref name="buffer"/> and slices it off; false
    /// when the buffer holds only part of a frame (nothing consumed).
    /// </summary>
    /// <exception cref="SyncProtocolException">The bytes are not a valid frame; detected from the header as soon as it is complete.</exception>
    public static bool TryDecode(ref ReadOnlySequence<byte> buffer, out SyncFrame? frame)
    {
        frame = null;
        if (buffer.Length < HeaderSize) return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        var (type, flags, length) = CheckHeader(header);
        if (buffer.Length - HeaderSize < length) return false;
        uint expected = Crc32C.Unmask(BinaryPrimitives.ReadUInt32LittleEndian(header[8..]));
        var wire = buffer.Slice(HeaderSize, length);
        byte[] payload;
        if ((flags & FrameFlags.Snappy) == 0)
        {
            payload = GC.AllocateUninitializedArray<byte>(length);
            wire.CopyTo(payload);
            Check(payload, expected, type);
        }
        else
        {
            // Compressed bytes are needed only until they are decompressed: a pooled buffer, not a
            // new (for a large frame, large-object-heap) array per frame.
            var rented = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                var stored = rented.AsSpan(0, length);
                wire.CopyTo(stored);
                Check(stored, expected, type);
                payload = Decompress(stored, type);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        buffer = buffer.Slice(HeaderSize + length);
        frame = new SyncFrame(type, payload);
        return true;
    }

    private static void Check(ReadOnlySpan<byte> stored, uint expected, FrameType type)
    {
        if (Crc32C.Compute(stored) != expected) throw new SyncProtocolException($"{type} frame of {stored.Length} bytes fails its checksum");
    }

    private static (FrameType Type, FrameFlags Flags, int Length) CheckHeader(ReadOnlySpan<byte> header)
    {
        if (header[0] != FrameVersion) throw new SyncProtocolException($"frame version {header[0]} is not supported (this side reads {FrameVersion})");
        var type = (FrameType)header[1];
        if (!Enum.IsDefined(type)) throw new SyncProtocolException($"unknown frame type {header[1]}");
        var flags = (FrameFlags)header[2];
        if ((flags & ~FrameFlags.Snappy) != 0) throw new SyncProtocolException($"unknown frame flags 0x{header[2]:x2}");
        if (header[3] != 0) throw new SyncProtocolException($"reserved header byte is 0x{header[3]:x2}, not 0");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (length > MaxPayloadLength) throw new SyncProtocolException($"{type} frame declares {length} bytes, over the maximum of {MaxPayloadLength}");
        return (type, flags, (int)length);
    }

    private static byte[] Decompress(ReadOnlySpan<byte> stored, FrameType type)
    {
        int size;
        try { size = Snappier.Snappy.GetUncompressedLength(stored); }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new SyncProtocolException($"{type} frame has a bad Snappy length", ex);
        }
        // Snappy expands at most ~21x (a 3-byte copy yields 64 bytes): a bigger claim is garbage
        // and must not make the receiver allocate for it.
        if (size > (long)stored.Length * 32 + 64) throw new SyncProtocolException($"{type} frame of {stored.Length} Snappy bytes claims {size} bytes");
        if (size < 0 || size > MaxPayloadLength) throw new SyncProtocolException($"{type} frame decompresses to {size} bytes, over the maximum of {MaxPayloadLength}");
        var output = GC.AllocateUninitializedArray<byte>(size);
        try
        {
            if (Snappier.Snappy.TryDecompress(stored, output, out int written) && written == size) return output;
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
            throw new SyncProtocolException($"{type} frame has damaged Snappy data", ex);
        }
        throw new SyncProtocolException($"{type} frame has damaged Snappy data");
    }
}
