using System.Buffers.Binary;
using LatticeKV.Coding;

namespace LatticeKV.Replication;

/// <summary>
/// A change record, the value of an entry of the change log (FORMAT.md §15.1):
/// <code>
/// head (ChangeHeader, 35 bytes) | column_family:varint32 | key:lp | [value:lp for Put and Merge]
/// [context, when flags has ContextFlag: count:varint32, then count x (origin:16 bytes, sequence:varint64)]
/// </code>
/// The key of the entry is the record's position: 8 bytes, big-endian.
/// </summary>
internal readonly ref struct ChangeRecord
{
    public const int PositionSize = 8;

    // Limits on what a record read from disk may claim (larger is corruption, not a huge allocation).
    private const int MaxContextEntries = 1 << 16;

    public ChangeOperation Operation { get; init; }
    public byte Flags { get; init; }
    public ulong Timestamp { get; init; }
    public ReadOnlySpan<byte> Origin { get; init; }
    public ulong OriginSequence { get; init; }
    public uint ColumnFamilyId { get; init; }
    public ReadOnlySpan<byte> Key { get; init; }
    public ReadOnlySpan<byte> Value { get; init; }

    /// <summary>The encoded context (entries as written), empty when there is none.</summary>
    public ReadOnlySpan<byte> Context { get; init; }

    /// <summary>Encodes a record with no context; a local one's timestamp and origin sequence are left for the leader to stamp.</summary>
    public static void Encode(ByteWriter w, ChangeOperation operation, byte flags, ulong timestamp, ReadOnlySpan<byte> origin, ulong originSequence,
        uint columnFamilyId, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ChangeHeader.Write(w.GetSpan(ChangeHeader.Size), operation, flags, timestamp, origin, originSequence);
        w.Advance(ChangeHeader.Size);
        w.WriteVarint(columnFamilyId);
        w.WriteLengthPrefixed(key);
        if (operation != ChangeOperation.Delete) w.WriteLengthPrefixed(value);
    }

    public static byte[] PositionKey(ulong position)
    {
        var key = new byte[PositionSize];
        BinaryPrimitives.WriteUInt64BigEndian(key, position);
        return key;
    }

    /// <summary>The position an entry's key holds; throws <see cref="CorruptionException"/> for a key of another size.</summary>
    public static ulong PositionOf(ReadOnlySpan<byte> key)
        => key.Length == PositionSize ? BinaryPrimitives.ReadUInt64BigEndian(key) : throw new CorruptionException($"change log key of {key.Length} bytes (expected {PositionSize})");

    /// <summary>Decodes a stored record; anything malformed is a <see cref="CorruptionException"/> naming the position.</summary>
    public static ChangeRecord Decode(ReadOnlySpan<byte> data, ulong position)
    {
        try
        {
            if (data.Length < ChangeHeader.Size) throw new CorruptionException($"{data.Length} bytes, shorter than a change header");
            if (data[0] != ChangeHeader.Format) throw new CorruptionException($"unknown change record format {data[0]}");
            var operation = (ChangeOperation)data[ChangeHeader.OperationOffset];
            if (operation is not (ChangeOperation.Put or ChangeOperation.Delete or ChangeOperation.Merge))
                throw new CorruptionException($"unknown change operation {(byte)operation}");
            byte flags = data[ChangeHeader.FlagsOffset];
            var r = new SpanReader(data[ChangeHeader.Size..]);
            uint cf = r.ReadVarint32();
            var key = r.ReadLengthPrefixed();
            var value = operation == ChangeOperation.Delete ? default : r.ReadLengthPrefixed();
            ReadOnlySpan<byte> context = default;
            if ((flags & ChangeHeader.ContextFlag) != 0)
            {
                int start = data.Length - r.Remaining;
                int count = r.ReadVarintInt(MaxContextEntries);
                for (int i = 0; i < count; i++)
                {
                    r.Take(16);
                    r.ReadVarint();
                }
                context = data[start..(data.Length - r.Remaining)];
            }
            if (!r.IsEmpty) throw new CorruptionException($"{r.Remaining} bytes after the change record");
            return new ChangeRecord
            {
                Operation = operation,
                Flags = flags,
                Timestamp = BinaryPrimitives.ReadUInt64LittleEndian(data[ChangeHeader.TimestampOffset..]),
                Origin = data.Slice(ChangeHeader.OriginOffset, 16),
                OriginSequence = BinaryPrimitives.ReadUInt64LittleEndian(data[ChangeHeader.OriginSequenceOffset..]),
                ColumnFamilyId = cf,
                Key = key,
                Value = value,
                Context = context,
            };
        }
        catch (CorruptionException ex)
        {
            throw new CorruptionException($"change log record at position {position} is malformed: {ex.Message}", innerException: ex);
        }
    }
}
