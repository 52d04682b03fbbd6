using System.Buffers.Binary;

namespace LatticeKV.Replication;

/// <summary>
/// The fixed-size head of a change record, which is also the whole value of a key's version
/// record (FORMAT.md §15.2):
/// <code>
/// format:u8 | operation:u8 | flags:u8 | timestamp:u64 | origin:16 bytes | origin_sequence:u64   (little-endian)
/// </code>
/// A record written by a local write has <see cref="LocalFlag"/>: its timestamp and origin
/// sequence are written by the write leader (stage 4) and are zero until then.
/// </summary>
internal static class ChangeHeader
{
    public const byte Format = 1;
    public const int Size = 35;
    public const byte LocalFlag = 0x01;
    public const byte ContextFlag = 0x02;

    public const int OperationOffset = 1;
    public const int FlagsOffset = 2;
    public const int TimestampOffset = 3;
    public const int OriginOffset = 11;
    public const int OriginSequenceOffset = 27;

    public static void Write(Span<byte> dest, ChangeOperation operation, byte flags, ulong timestamp, ReadOnlySpan<byte> origin, ulong originSequence)
    {
        dest[0] = Format;
        dest[OperationOffset] = (byte)operation;
        dest[FlagsOffset] = flags;
        BinaryPrimitives.WriteUInt64LittleEndian(dest[TimestampOffset..], timestamp);
        origin.CopyTo(dest[OriginOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[OriginSequenceOffset..], originSequence);
    }

    /// <summary>Writes what the leader decides into a local record's head.</summary>
    public static void Stamp(Span<byte> head, ulong timestamp, ulong originSequence)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(head[TimestampOffset..], timestamp);
        BinaryPrimitives.WriteUInt64LittleEndian(head[OriginSequenceOffset..], originSequence);
    }

    public static bool IsLocal(ReadOnlySpan<byte> head) => head.Length >= Size && (head[FlagsOffset] & LocalFlag) != 0;
}
