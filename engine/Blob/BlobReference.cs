using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Blob;

/// <summary>
/// Where a value stored apart from its key lives (FORMAT.md §21.3): the value of a table entry
/// of kind <see cref="ValueKind.BlobIndex"/>. Persistent format: do not change.
/// <code>
/// kind: u8 (the entry's own kind, Value or TimedValue)  file: varint64  offset: varint64
/// record size: varint64  value size: varint64  checksum: fixed32 LE (the record's CRC)
/// </code>
/// </summary>
internal readonly record struct BlobReference(ValueKind Kind, long FileNumber, long Offset, long RecordSize, long ValueSize, uint Checksum)
{
    /// <summary>The most bytes an encoded reference takes.</summary>
    public const int MaxEncodedLength = 1 + 4 * 10 + 4;

    public int Encode(Span<byte> dest)
    {
        dest[0] = (byte)Kind;
        int n = 1;
        n += Varint.Write(dest[n..], (ulong)FileNumber);
        n += Varint.Write(dest[n..], (ulong)Offset);
        n += Varint.Write(dest[n..], (ulong)RecordSize);
        n += Varint.Write(dest[n..], (ulong)ValueSize);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[n..], Checksum);
        return n + 4;
    }

    public byte[] ToArray()
    {
        Span<byte> buffer = stackalloc byte[MaxEncodedLength];
        return buffer[..Encode(buffer)].ToArray();
    }

    /// <summary>Decodes a reference; anything malformed (short, trailing bytes, impossible numbers) is a <see cref="CorruptionException"/>.</summary>
    public static BlobReference Decode(ReadOnlySpan<byte> data)
    {
        if (data.Length < 1 + 4 + 4) throw new CorruptionException($"blob reference of {data.Length} bytes is too short");
        var kind = (ValueKind)data[0];
        if (!ValueKinds.IsPointValue(kind)) throw new CorruptionException($"blob reference names kind {data[0]}, not a value");
        var r = new SpanReader(data[1..]);
        long file = Number(ref r), offset = Number(ref r), recordSize = Number(ref r), valueSize = Number(ref r);
        if (r.Remaining != 4) throw new CorruptionException("blob reference has trailing bytes or lacks its checksum");
        uint checksum = r.ReadUInt32();
        if (file == 0 || offset < BlobFileFormat.HeaderSize || recordSize < BlobFileFormat.RecordHeaderSize
            || recordSize > BlobFileFormat.MaxRecordSize || valueSize > BlobFileFormat.MaxValueSize)
            throw new CorruptionException($"blob reference ({file}, {offset}, {recordSize}, {valueSize}) is out of range");
        return new BlobReference(kind, file, offset, recordSize, valueSize, checksum);
    }

    private static long Number(ref SpanReader r)
    {
        ulong v = r.ReadVarint();
        if (v > long.MaxValue) throw new CorruptionException($"blob reference number {v} out of range");
        return (long)v;
    }
}
