using System.Buffers.Binary;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Ledger;

/// <summary>
/// What proves, without a node, that a transaction was mined and buried: its position and
/// Merkle branch in a block, and the headers from that block up to the tip seen when it was
/// verified. Stored by the ledger beside the transaction (<see cref="Encode"/>, FORMAT.md §22.4)
/// and re-checked by <see cref="NetworkVerifier.VerifyOffline"/>. Everything in it is checked
/// against the stored transaction, so damaged or forged evidence fails verification.
/// </summary>
public sealed class NetworkEvidence
{
    /// <summary>Format version written by <see cref="Encode"/>. Persistent format: only goes up.</summary>
    public const byte FormatVersion = 1;

    /// <summary>Hash kind 1: Bitcoin's double SHA-256 for headers and Merkle nodes. Persistent format: do not renumber.</summary>
    private const byte HashKindBitcoin = 1;

    private static ReadOnlySpan<byte> Magic => "LKNE"u8;

    private const int FixedSize = 4 + 1 + 1 + 8 + 4 + 1 + 4;

    /// <summary>Creates evidence; <paramref name="headers"/> starts with the transaction's block, each next header its child.</summary>
    public NetworkEvidence(long blockHeight, int position, IReadOnlyList<ChainHash> branch, IReadOnlyList<BlockHeader> headers)
    {
        ArgumentNullException.ThrowIfNull(branch);
        ArgumentNullException.ThrowIfNull(headers);
        if (blockHeight < 0) throw new InvalidArgumentException("a block height is not negative", nameof(blockHeight));
        if (position < 0) throw new InvalidArgumentException("a position is not negative", nameof(position));
        if (branch.Count > BitcoinMerkle.MaxBranchLength) throw new InvalidArgumentException($"a branch has at most {BitcoinMerkle.MaxBranchLength} hashes", nameof(branch));
        if (headers.Count == 0) throw new InvalidArgumentException("evidence holds at least the transaction's block header", nameof(headers));
        BlockHeight = blockHeight;
        Position = position;
        Branch = [.. branch];
        Headers = [.. headers];
    }

    /// <summary>Height of the transaction's block (the first of <see cref="Headers"/>).</summary>
    public long BlockHeight { get; }

    /// <summary>The transaction's index in its block.</summary>
    public int Position { get; }

    /// <summary>Merkle branch from the txid to the block's Merkle root, lowest level first.</summary>
    public IReadOnlyList<ChainHash> Branch { get; }

    /// <summary>The transaction's block header, then each later header up to the tip seen at verification.</summary>
    public IReadOnlyList<BlockHeader> Headers { get; }

    /// <summary>Encodes the evidence as FORMAT.md §22.4 lays it out.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[FixedSize + Branch.Count * ChainHash.Length + Headers.Count * BlockHeader.Size];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = FormatVersion;
        span[5] = HashKindBitcoin;
        BinaryPrimitives.WriteUInt64LittleEndian(span[6..], (ulong)BlockHeight);
        BinaryPrimitives.WriteUInt32LittleEndian(span[14..], (uint)Position);
        span[18] = (byte)Branch.Count;
        int at = 19;
        foreach (var hash in Branch)
        {
            hash.CopyTo(span[at..]);
            at += ChainHash.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)Headers.Count);
        at += 4;
        foreach (var header in Headers)
        {
            header.WriteTo(span[at..]);
            at += BlockHeader.Size;
        }
        return bytes;
    }

    /// <summary>Decodes <see cref="Encode"/>'s bytes; throws <see cref="ChainDataException"/> naming the offset of anything malformed.</summary>
    public static NetworkEvidence Decode(ReadOnlySpan<byte> bytes)
    {
        var reader = new ChainReader(bytes, "network evidence");
        if (reader.Remaining < 4 || !reader.Take(4).SequenceEqual(Magic)) throw reader.Fail(0, "not network evidence (magic)");
        byte version = reader.ReadByte();
        if (version != FormatVersion) throw reader.Fail(4, $"format version {version}, this build reads {FormatVersion}");
        byte kind = reader.ReadByte();
        if (kind != HashKindBitcoin) throw reader.Fail(5, $"unknown hash kind {kind}");
        ulong height = reader.ReadUInt64();
        if (height > long.MaxValue) throw reader.Fail(6, $"block height {height} out of range");
        uint position = reader.ReadUInt32();
        if (position > int.MaxValue) throw reader.Fail(14, $"position {position} out of range");
        byte branchLength = reader.ReadByte();
        if (branchLength > BitcoinMerkle.MaxBranchLength) throw reader.Fail(18, $"branch of {branchLength} hashes, at most {BitcoinMerkle.MaxBranchLength}");
        var branch = new ChainHash[branchLength];
        for (int i = 0; i < branch.Length; i++) branch[i] = reader.ReadHash();
        int countAt = reader.Position;
        uint headerCount = reader.ReadUInt32();
        if (headerCount == 0) throw reader.Fail(countAt, "no header");
        if (headerCount != (uint)(reader.Remaining / BlockHeader.Size) || reader.Remaining % BlockHeader.Size != 0)
            throw reader.Fail(countAt, $"{headerCount} headers declared, {reader.Remaining} bytes follow");
        var headers = new BlockHeader[headerCount];
        for (int i = 0; i < headers.Length; i++) headers[i] = BlockHeader.Read(ref reader);
        reader.ExpectEnd();
        return new NetworkEvidence((long)height, (int)position, branch, headers);
    }
}
