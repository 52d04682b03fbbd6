using System.Buffers.Binary;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Ledger;

/// <summary>
/// The 80-byte header of a Bitcoin-style block: what a light client keeps of each block, and
/// what a transaction's Merkle branch and a chain's proof of work are checked against.
/// Serialized as version (int32), previous block hash (32), Merkle root (32), time (uint32,
/// seconds since 1970), bits (uint32, the compact target) and nonce (uint32), integers
/// little-endian. <see cref="Hash"/> is the double SHA-256 of those 80 bytes.
/// </summary>
/// <example><code>
/// var header = BlockHeader.Parse(bytes);
/// Console.WriteLine(header.Hash); // 000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f for the genesis block
/// </code></example>
public sealed record BlockHeader(int Version, ChainHash PreviousBlockHash, ChainHash MerkleRoot, uint Time, uint Bits, uint Nonce)
{
    /// <summary>Length of a serialized header.</summary>
    public const int Size = 80;

    /// <summary>Parses exactly <see cref="Size"/> bytes; throws <see cref="ChainDataException"/> on any other length.</summary>
    public static BlockHeader Parse(ReadOnlySpan<byte> bytes)
    {
        var reader = new ChainReader(bytes, "block header");
        var header = Read(ref reader);
        reader.ExpectEnd();
        return header;
    }

    /// <summary>Reads a header at the reader's position (the start of a block, or one of a run of headers).</summary>
    internal static BlockHeader Read(ref ChainReader reader)
    {
        if (reader.Remaining < Size) throw reader.Fail(reader.Position, $"a header is {Size} bytes, {reader.Remaining} left");
        return new BlockHeader(reader.ReadInt32(), reader.ReadHash(), reader.ReadHash(), reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32());
    }

    /// <summary>The 80 serialized bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Writes the 80 serialized bytes to <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size) throw new InvalidArgumentException($"a header needs {Size} bytes", nameof(destination));
        BinaryPrimitives.WriteInt32LittleEndian(destination, Version);
        PreviousBlockHash.CopyTo(destination[4..]);
        MerkleRoot.CopyTo(destination[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[68..], Time);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[72..], Bits);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[76..], Nonce);
    }

    /// <summary>The block hash: double SHA-256 of the serialized header (computed on each call).</summary>
    public ChainHash Hash
    {
        get
        {
            Span<byte> bytes = stackalloc byte[Size];
            WriteTo(bytes);
            return ChainHash.DoubleSha256(bytes);
        }
    }
}
