using System.Buffers.Binary;
using System.Text;
using LatticeKV.Coding;

namespace LatticeKV.Replication;

/// <summary>
/// Records of the changes the remote apply refused (FORMAT.md §18.1): the hidden family
/// <c>__lkv/quarantine</c>, keyed by the change's origin (16 bytes) and origin sequence (8 bytes,
/// big-endian), so a change delivered twice (a resync) is kept once. Read as untrusted.
/// </summary>
internal static class QuarantineStore
{
    public const string Family = Indexing.IndexFamilies.ReservedPrefix + "quarantine";
    public const int KeySize = 24;
    private const byte Format = 1;

    public static byte[] Key(Dot dot)
    {
        var key = new byte[KeySize];
        dot.Origin.TryWriteBytes(key);
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(16), dot.Sequence);
        return key;
    }

    public static string Id(ReadOnlySpan<byte> key) => $"{new Guid(key[..16]):N}-{BinaryPrimitives.ReadUInt64BigEndian(key[16..])}";

    /// <summary>The record key of an <see cref="Id"/>; throws <see cref="InvalidArgumentException"/> for text that is not one.</summary>
    public static byte[] KeyOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        int dash = id.IndexOf('-');
        if (dash != 32 || !Guid.TryParseExact(id[..dash], "N", out var origin) || !ulong.TryParse(id.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out ulong sequence))
            throw new InvalidArgumentException($"'{id}' is not a quarantined change id (32 hex digits, '-', a sequence number).", nameof(id));
        return Key(new Dot(origin, sequence, 0));
    }

    public static byte[] Encode(Guid peer, ulong quarantinedAt, RemoteChange c, string reason)
    {
        var w = new ByteWriter(96 + c.Key.Length + (c.Value?.Length ?? 0) + reason.Length);
        w.WriteByte(Format);
        Span<byte> fixedPart = stackalloc byte[16 + 8 + 8 + 1];
        peer.TryWriteBytes(fixedPart);
        BinaryPrimitives.WriteUInt64LittleEndian(fixedPart[16..], quarantinedAt);
        BinaryPrimitives.WriteUInt64LittleEndian(fixedPart[24..], c.Timestamp);
        fixedPart[32] = (byte)c.Operation;
        w.Write(fixedPart);
        w.WriteLengthPrefixed(Encoding.UTF8.GetBytes(c.ColumnFamily));
        w.WriteLengthPrefixed(c.Key);
        w.WriteByte(c.Value is null ? (byte)0 : (byte)1);
        if (c.Value is not null) w.WriteLengthPrefixed(c.Value);
        w.WriteLengthPrefixed(Encoding.UTF8.GetBytes(reason));
        return w.ToArray();
    }

    public static QuarantinedChange Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        try
        {
            if (key.Length != KeySize) throw new CorruptionException($"quarantine record key of {key.Length} bytes");
            var r = new SpanReader(data);
            if (r.ReadByte() != Format) throw new CorruptionException("unknown quarantine record format");
            var fixedPart = r.Take(33);
            var peer = new Guid(fixedPart[..16]);
            ulong at = BinaryPrimitives.ReadUInt64LittleEndian(fixedPart[16..]);
            ulong timestamp = BinaryPrimitives.ReadUInt64LittleEndian(fixedPart[24..]);
            var operation = (ChangeOperation)fixedPart[32];
            if (!Enum.IsDefined(operation)) throw new CorruptionException($"unknown change operation {fixedPart[32]}");
            string family = Encoding.UTF8.GetString(r.ReadLengthPrefixed());
            byte[] userKey = r.ReadLengthPrefixed().ToArray();
            byte[]? value = r.ReadByte() switch
            {
                0 => null,
                1 => r.ReadLengthPrefixed().ToArray(),
                var b => throw new CorruptionException($"quarantine record value flag {b}"),
            };
            string reason = Encoding.UTF8.GetString(r.ReadLengthPrefixed());
            if (!r.IsEmpty) throw new CorruptionException("bytes after a quarantine record");
            var origin = new Guid(key[..16]);
            ulong sequence = BinaryPrimitives.ReadUInt64BigEndian(key[16..]);
            return new QuarantinedChange(Id(key), HybridClock.StoredWallTime(at, "a quarantine record"), peer,
                new ChangeVersion(origin, sequence, (long)timestamp), family, userKey, operation, value, reason);
        }
        catch (CorruptionException ex)
        {
            throw new CorruptionException("a quarantine record is malformed: " + ex.Message, innerException: ex);
        }
    }
}
