using System.Buffers.Binary;
using System.Numerics;

namespace LatticeKV.Coding;

/// <summary>
/// CRC-32C (Castagnoli), hardware accelerated through <see cref="BitOperations.Crc32C(uint, ulong)"/>.
/// Stored checksums are masked (<see cref="Mask"/>) as in LevelDB, so that a CRC computed over
/// data that itself contains CRCs does not degenerate.
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>Continues a CRC over more data: Extend(Compute(a), b) == Compute(a + b).</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        while (data.Length >= 8)
        {
            c = BitOperations.Crc32C(c, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }
        foreach (byte b in data) c = BitOperations.Crc32C(c, b);
        return ~c;
    }

    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }
}
