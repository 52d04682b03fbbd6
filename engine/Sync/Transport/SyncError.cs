using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Sync;

/// <summary>
/// The Error frame's payload: a u16 little-endian <see cref="SyncErrorCode"/> followed by a UTF-8
/// message of at most <see cref="MaxMessageBytes"/> bytes. The sender closes the connection after it.
/// Wire format: do not change.
/// </summary>
internal sealed record SyncError(SyncErrorCode Code, string Message)
{
    public const int MaxMessageBytes = 1024;

    public byte[] Encode()
    {
        var text = Encoding.UTF8.GetBytes(Message);
        int length = Math.Min(text.Length, MaxMessageBytes);
        var bytes = new byte[2 + length];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)Code);
        text.AsSpan(0, length).CopyTo(bytes.AsSpan(2));
        return bytes;
    }

    /// <exception cref="SyncProtocolException">The payload is not an Error.</exception>
    public static SyncError Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 || payload.Length > 2 + MaxMessageBytes) throw new SyncProtocolException($"Error frame of {payload.Length} bytes");
        var code = (SyncErrorCode)BinaryPrimitives.ReadUInt16LittleEndian(payload);
        // A message cut inside a UTF-8 sequence decodes with a replacement character: it is only shown.
        return new SyncError(code, Encoding.UTF8.GetString(payload[2..]));
    }
}
