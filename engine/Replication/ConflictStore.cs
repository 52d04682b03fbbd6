using System.Buffers.Binary;
using System.Text;
using LatticeKV.Coding;

namespace LatticeKV.Replication;

/// <summary>
/// The records conflict resolution leaves (FORMAT.md §15.5): the audit family (one record per
/// resolution, keyed by the local clock reading, so in the order they happened) and the
/// siblings <see cref="ConflictResolver.KeepBoth"/> keeps (keyed by family, key and the losing
/// version). Both are read as untrusted.
/// </summary>
internal static class ConflictStore
{
    private const byte Format = 1;
    private const int DotSize = 32;

    /// <summary>An audit record's key: the clock reading, 8 bytes big-endian (laid out as a change log position is).</summary>
    public static byte[] AuditKey(ulong timestamp) => ChangeRecord.PositionKey(timestamp);

    public static byte[] EncodeAudit(ConflictOutcome outcome, string resolver, string family, ReadOnlySpan<byte> key, Dot winner, Dot loser, byte[]? loserValue)
    {
        var w = new ByteWriter(64 + key.Length + (loserValue?.Length ?? 0));
        w.WriteByte(Format);
        w.WriteByte((byte)outcome);
        w.WriteLengthPrefixed(Encoding.UTF8.GetBytes(resolver));
        w.WriteLengthPrefixed(Encoding.UTF8.GetBytes(family));
        w.WriteLengthPrefixed(key);
        WriteDot(w, winner);
        WriteDot(w, loser);
        w.WriteByte(loserValue is null ? (byte)0 : (byte)1);
        if (loserValue is not null) w.WriteLengthPrefixed(loserValue);
        return w.ToArray();
    }

    public static ConflictRecord DecodeAudit(ReadOnlySpan<byte> auditKey, ReadOnlySpan<byte> data)
    {
        try
        {
            if (auditKey.Length != 8) throw new CorruptionException($"conflict record key of {auditKey.Length} bytes");
            var r = new SpanReader(data);
            if (r.ReadByte() != Format) throw new CorruptionException("unknown conflict record format");
            var outcome = (ConflictOutcome)r.ReadByte();
            if (!Enum.IsDefined(outcome)) throw new CorruptionException($"unknown conflict outcome {(byte)outcome}");
            string resolver = Encoding.UTF8.GetString(r.ReadLengthPrefixed());
            string family = Encoding.UTF8.GetString(r.ReadLengthPrefixed());
            byte[] key = r.ReadLengthPrefixed().ToArray();
            var winner = ReadDot(ref r);
            var loser = ReadDot(ref r);
            byte[]? value = r.ReadByte() == 1 ? r.ReadLengthPrefixed().ToArray() : null;
            if (!r.IsEmpty) throw new CorruptionException("bytes after a conflict record");
            var time = HybridClock.StoredWallTime(BinaryPrimitives.ReadUInt64BigEndian(auditKey), "a conflict record key");
            return new ConflictRecord(time, family, key, resolver, outcome, Version(winner), Version(loser), value);
        }
        catch (CorruptionException ex)
        {
            throw new CorruptionException("a conflict record is malformed: " + ex.Message, innerException: ex);
        }
    }

    /// <summary>The prefix of every sibling of one key: family id, key length, key.</summary>
    public static byte[] SiblingPrefix(uint columnFamilyId, ReadOnlySpan<byte> key)
    {
        var w = new ByteWriter(16 + key.Length);
        Span<byte> id = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(id, columnFamilyId);
        w.Write(id);
        w.WriteVarint((uint)key.Length);
        w.Write(key);
        return w.ToArray();
    }

    public static byte[] SiblingKey(uint columnFamilyId, ReadOnlySpan<byte> key, Dot sibling)
    {
        var prefix = SiblingPrefix(columnFamilyId, key);
        var full = new byte[prefix.Length + 24];
        prefix.CopyTo(full, 0);
        sibling.Origin.TryWriteBytes(full.AsSpan(prefix.Length));
        BinaryPrimitives.WriteUInt64BigEndian(full.AsSpan(prefix.Length + 16), sibling.Sequence);
        return full;
    }

    /// <summary>A sibling: the version that won over it (it is live while that is the key's version), its own version, its value.</summary>
    public static byte[] EncodeSibling(Dot winner, Dot sibling, byte[]? value, VersionVector context)
    {
        var w = new ByteWriter(2 * DotSize + 8 + (value?.Length ?? 0) + context.Count * 26);
        w.WriteByte(Format);
        WriteDot(w, winner);
        WriteDot(w, sibling);
        w.WriteByte(value is null ? (byte)0 : (byte)1);
        if (value is not null) w.WriteLengthPrefixed(value);
        context.Encode(w);
        return w.ToArray();
    }

    public static (Dot Winner, Dot Sibling, byte[]? Value, VersionVector Context) DecodeSibling(ReadOnlySpan<byte> data)
    {
        var r = new SpanReader(data);
        if (r.ReadByte() != Format) throw new CorruptionException("unknown conflict sibling format");
        var winner = ReadDot(ref r);
        var sibling = ReadDot(ref r);
        byte[]? value = r.ReadByte() == 1 ? r.ReadLengthPrefixed().ToArray() : null;
        var context = VersionVector.Read(ref r);
        if (!r.IsEmpty) throw new CorruptionException("bytes after a conflict sibling");
        return (winner, sibling, value, context);
    }

    public static ChangeVersion Version(Dot dot) => new(dot.Origin, dot.Sequence, (long)dot.Timestamp);

    private static void WriteDot(ByteWriter w, Dot dot)
    {
        Span<byte> b = stackalloc byte[DotSize];
        dot.Origin.TryWriteBytes(b);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], dot.Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], dot.Timestamp);
        w.Write(b);
    }

    private static Dot ReadDot(ref SpanReader r)
    {
        var b = r.Take(DotSize);
        return new Dot(new Guid(b[..16]), BinaryPrimitives.ReadUInt64LittleEndian(b[16..]), BinaryPrimitives.ReadUInt64LittleEndian(b[24..]));
    }
}
