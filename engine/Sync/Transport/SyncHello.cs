using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Sync;

/// <summary>
/// The Hello frame's payload, sent by both sides right after the TLS handshake:
/// <code>
/// offset size field
///  0     2    lowest protocol version supported, u16 little-endian
///  2     2    highest protocol version supported, u16 little-endian
///  4    16    replica id (Guid, big-endian byte order)
/// 20    16    session nonce: random, fresh per connection
/// </code>
/// Wire format: do not change (FORMAT.md, "Sync wire protocol (transport)").
/// </summary>
internal sealed record SyncHello(ushort MinVersion, ushort MaxVersion, Guid ReplicaId, byte[] Nonce)
{
    public const int Size = 36;
    public const int NonceSize = 16;

    /// <summary>A Hello with a fresh random nonce.</summary>
    public static SyncHello Create(ushort minVersion, ushort maxVersion, Guid replicaId)
        => new(minVersion, maxVersion, replicaId, RandomNumberGenerator.GetBytes(NonceSize));

    public byte[] Encode()
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, MinVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), MaxVersion);
        ReplicaId.TryWriteBytes(bytes.AsSpan(4, 16), bigEndian: true, out _);
        Nonce.CopyTo(bytes.AsSpan(20));
        return bytes;
    }

    /// <exception cref="SyncProtocolException">The payload is not a Hello.</exception>
    public static SyncHello Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length != Size) throw new SyncProtocolException($"Hello is {payload.Length} bytes, not {Size}");
        ushort min = BinaryPrimitives.ReadUInt16LittleEndian(payload);
        ushort max = BinaryPrimitives.ReadUInt16LittleEndian(payload[2..]);
        if (min == 0 || min > max) throw new SyncProtocolException($"Hello offers an empty version range {min}..{max}");
        return new SyncHello(min, max, new Guid(payload.Slice(4, 16), bigEndian: true), payload[20..].ToArray());
    }

    /// <summary>The highest version both sides support, or null when their ranges do not meet.</summary>
    public static ushort? Negotiate(SyncHello local, SyncHello remote)
    {
        ushort version = Math.Min(local.MaxVersion, remote.MaxVersion);
        return version >= Math.Max(local.MinVersion, remote.MinVersion) ? version : null;
    }
}
