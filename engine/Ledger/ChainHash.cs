using System.Security.Cryptography;

namespace LatticeKV.Ledger;

/// <summary>
/// A 32-byte double-SHA-256 digest of a Bitcoin-style chain: a transaction id, a block hash or
/// a Merkle node. <see cref="ToString"/> prints it as Bitcoin does, the bytes reversed in hex
/// (block explorers and RPCs show a block hash with its leading zeros first); <see cref="Parse"/>
/// reads that form. <see cref="CopyTo"/> and <see cref="FromBytes"/> use the internal byte order
/// (as the digest comes out of SHA-256, as it is serialized on the wire). A default value is
/// all zeros, the previous-block hash of a genesis block. Immutable; equality compares the bytes.
/// </summary>
public readonly struct ChainHash : IEquatable<ChainHash>
{
    /// <summary>Length of a hash in bytes.</summary>
    public const int Length = 32;

    private readonly byte[]? _bytes;

    private ChainHash(byte[] bytes) => _bytes = bytes;

    /// <summary>The hash whose internal-order bytes are <paramref name="bytes"/> (exactly 32).</summary>
    public static ChainHash FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length) throw new InvalidArgumentException($"a chain hash is {Length} bytes, not {bytes.Length}", nameof(bytes));
        return new ChainHash(bytes.ToArray());
    }

    /// <summary>Parses the displayed form: 64 hex digits, most significant byte first (reversed internal order).</summary>
    public static ChainHash Parse(string displayHex)
    {
        ArgumentNullException.ThrowIfNull(displayHex);
        if (displayHex.Length != Length * 2) throw new InvalidArgumentException($"a chain hash is {Length * 2} hex digits", nameof(displayHex));
        byte[] bytes;
        try { bytes = Convert.FromHexString(displayHex); }
        catch (FormatException) { throw new InvalidArgumentException("a chain hash is hex digits only", nameof(displayHex)); }
        Array.Reverse(bytes);
        return new ChainHash(bytes);
    }

    /// <summary>SHA-256 of SHA-256 of <paramref name="data"/>, Bitcoin's hash for ids, headers and Merkle nodes.</summary>
    public static ChainHash DoubleSha256(ReadOnlySpan<byte> data)
    {
        var bytes = new byte[Length];
        SHA256.HashData(data, bytes);
        SHA256.HashData(bytes, bytes);
        return new ChainHash(bytes);
    }

    /// <summary>Writes the 32 internal-order bytes to <paramref name="destination"/>.</summary>
    public void CopyTo(Span<byte> destination) => Bytes.CopyTo(destination);

    /// <summary>The 32 internal-order bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? Zero;

    /// <summary>The displayed form: the bytes reversed, lower-case hex.</summary>
    public override string ToString()
    {
        Span<byte> reversed = stackalloc byte[Length];
        Bytes.CopyTo(reversed);
        reversed.Reverse();
        return Convert.ToHexStringLower(reversed);
    }

    /// <inheritdoc/>
    public bool Equals(ChainHash other) => Bytes.SequenceEqual(other.Bytes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is ChainHash other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => BitConverter.ToInt32(Bytes);

    /// <summary>Whether two hashes have the same bytes.</summary>
    public static bool operator ==(ChainHash left, ChainHash right) => left.Equals(right);

    /// <summary>Whether two hashes differ in any byte.</summary>
    public static bool operator !=(ChainHash left, ChainHash right) => !left.Equals(right);

    private static readonly byte[] Zero = new byte[Length];
}
