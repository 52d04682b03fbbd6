using System.Numerics;

namespace LatticeKV.Ledger.Chain;

/// <summary>
/// Bitcoin's compact encoding of a 256-bit target ("bits"): the top byte is a length in bytes,
/// the low 23 bits the most significant digits, bit 23 a sign. A header's hash read as a
/// little-endian number must not exceed its target. Encodings that are negative, overflow 256
/// bits or decode to zero are refused, as Bitcoin Core refuses them.
/// </summary>
internal static class CompactTarget
{
    private static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    /// <summary>The target <paramref name="bits"/> encodes, or null for a negative, overflowing or zero encoding.</summary>
    public static BigInteger? Decode(uint bits)
    {
        int size = (int)(bits >> 24);
        uint word = bits & 0x007F_FFFF;
        if (word == 0) return null;
        if ((bits & 0x0080_0000) != 0) return null;
        if (size > 34 || (word > 0xFF && size > 33) || (word > 0xFFFF && size > 32)) return null;
        BigInteger target = size <= 3 ? new BigInteger(word >> (8 * (3 - size))) : new BigInteger(word) << (8 * (size - 3));
        return target.IsZero ? null : target;
    }

    /// <summary>The hash as the number proof of work compares: its 32 bytes little-endian, unsigned.</summary>
    public static BigInteger HashValue(ChainHash hash) => new(hash.Bytes, isUnsigned: true, isBigEndian: false);

    /// <summary>Expected number of hashes to meet <paramref name="target"/>: 2^256 / (target + 1).</summary>
    public static BigInteger Work(BigInteger target) => TwoTo256 / (target + 1);
}
