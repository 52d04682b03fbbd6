using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Db;

/// <summary>
/// Decodes a write batch as stored in the WAL (FORMAT.md, "Write batch"):
/// <code>
/// header: sequence:u64 | count:u32 | commit_time_ms:i64      (little-endian, 20 bytes), or
///         sequence:u64 | count:u32 with bit 31 set           (12 bytes: no commit time)
/// record: tag:u8 [cf_id:varint32 if tag &amp; 0x80] key:lp [value:lp for Put/DeleteRange/Merge]
/// </code>
/// Malformed input throws <see cref="CorruptionException"/>.
/// </summary>
internal ref struct WriteBatchReader
{
    private SpanReader _reader;
    private int _remaining;

    public WriteBatchReader(ReadOnlySpan<byte> rep)
    {
        if (rep.Length < WriteBatch.UntimedHeaderSize) throw new CorruptionException($"write batch of {rep.Length} bytes is shorter than its header");
        Sequence = BinaryPrimitives.ReadUInt64LittleEndian(rep);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(rep[8..]);
        int headerSize = WriteBatch.UntimedHeaderSize;
        if ((count & WriteBatch.UntimedFlag) == 0)
        {
            if (rep.Length < WriteBatch.HeaderSize) throw new CorruptionException($"write batch of {rep.Length} bytes is shorter than its header");
            CommitTimeMs = BinaryPrimitives.ReadInt64LittleEndian(rep[12..]);
            headerSize = WriteBatch.HeaderSize;
        }
        Count = (int)(count & ~WriteBatch.UntimedFlag);
        _reader = new SpanReader(rep[headerSize..]);
        _remaining = Count;
        if (Sequence > InternalKey.MaxSequence || (ulong)Count > InternalKey.MaxSequence - Sequence)
            throw new CorruptionException($"write batch sequence {Sequence} + {Count} overflows");
    }

    public ulong Sequence { get; }

    public int Count { get; }

    /// <summary>The commit time the leader stamped; null when the batch was logged without one.</summary>
    public long? CommitTimeMs { get; }

    public ValueKind Kind { get; private set; }

    public uint ColumnFamilyId { get; private set; }

    public ReadOnlySpan<byte> Key { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        if (_remaining == 0)
        {
            if (!_reader.IsEmpty) throw new CorruptionException("write batch has more records than its count");
            return false;
        }
        if (_reader.IsEmpty) throw new CorruptionException("write batch has fewer records than its count");
        byte tag = _reader.ReadByte();
        ColumnFamilyId = (tag & WriteBatch.ColumnFamilyFlag) != 0 ? _reader.ReadVarint32() : 0;
        var kind = (ValueKind)(tag & ~WriteBatch.ColumnFamilyFlag);
        Key = _reader.ReadLengthPrefixed();
        switch (kind)
        {
            case ValueKind.Value:
            case ValueKind.RangeDeletion:
            case ValueKind.Merge:
                Value = _reader.ReadLengthPrefixed();
                break;
            case ValueKind.Deletion:
                Value = default;
                break;
            default:
                throw new CorruptionException($"unknown write batch tag {tag}");
        }
        Kind = kind;
        _remaining--;
        return true;
    }
}
