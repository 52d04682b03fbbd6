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

    /// <summary>Magic, version, kind, height, position, branch length, header count and witness flag.</summary>
    private const int FixedSize = 4 + 1 + 1 + 8 + 4 + 1 + 4 + 1;

    /// <summary>Creates evidence; <paramref name="headers"/> starts with the transaction's block, each next header its child.</summary>
    public NetworkEvidence(long blockHeight, int position, IReadOnlyList<ChainHash> branch, IReadOnlyList<BlockHeader> headers, WitnessCommitmentEvidence? witness = null)
    {
        ArgumentNullException.ThrowIfNull(branch);
        ArgumentNullException.ThrowIfNull(headers);
        if (blockHeight < 0) throw new InvalidArgumentException("a block height is not negative", nameof(blockHeight));
        if (position < 0) throw new InvalidArgumentException("a position is not negative", nameof(position));
        if (branch.Count > BitcoinMerkle.MaxBranchLength) throw new InvalidArgumentException($"a branch has at most {BitcoinMerkle.MaxBranchLength} hashes", nameof(branch));
        if (headers.Count == 0) throw new InvalidArgumentException("evidence holds at least the transaction's block header", nameof(headers));
        if (witness is not null && (witness.CoinbaseBranch.Count > BitcoinMerkle.MaxBranchLength || witness.WitnessBranch.Count > BitcoinMerkle.MaxBranchLength))
            throw new InvalidArgumentException($"a branch has at most {BitcoinMerkle.MaxBranchLength} hashes", nameof(witness));
        Witness = witness is null ? null : new WitnessCommitmentEvidence(witness.CoinbaseTransaction.ToArray(), [.. witness.CoinbaseBranch], [.. witness.WitnessBranch]);
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

    /// <summary>What binds the transaction's witnesses to the block, when it has any.</summary>
    public WitnessCommitmentEvidence? Witness { get; }

    /// <summary>Encodes the evidence as FORMAT.md §22.4 lays it out.</summary>
    public byte[] Encode()
    {
        int witnessSize = Witness is null ? 0 : 4 + Witness.CoinbaseTransaction.Length + 2 + (Witness.CoinbaseBranch.Count + Witness.WitnessBranch.Count) * ChainHash.Length;
        var bytes = new byte[FixedSize + Branch.Count * ChainHash.Length + Headers.Count * BlockHeader.Size + witnessSize];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        span[4] = FormatVersion;
        span[5] = HashKindBitcoin;
        BinaryPrimitives.WriteUInt64LittleEndian(span[6..], (ulong)BlockHeight);
        BinaryPrimitives.WriteUInt32LittleEndian(span[14..], (uint)Position);
        int at = WriteBranch(span, 18, Branch);
        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)Headers.Count);
        at += 4;
        foreach (var header in Headers)
        {
            header.WriteTo(span[at..]);
            at += BlockHeader.Size;
        }
        span[at++] = Witness is null ? (byte)0 : (byte)1;
        if (Witness is not null)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[at..], (uint)Witness.CoinbaseTransaction.Length);
            Witness.CoinbaseTransaction.Span.CopyTo(span[(at + 4)..]);
            at = WriteBranch(span, at + 4 + Witness.CoinbaseTransaction.Length, Witness.CoinbaseBranch);
            WriteBranch(span, at, Witness.WitnessBranch);
        }
        return bytes;
    }

    /// <summary>A u8 count and the hashes at <paramref name="at"/>; returns the offset after them.</summary>
    private static int WriteBranch(Span<byte> span, int at, IReadOnlyList<ChainHash> branch)
    {
        span[at++] = (byte)branch.Count;
        foreach (var hash in branch)
        {
            hash.CopyTo(span[at..]);
            at += ChainHash.Length;
        }
        return at;
    }

    private static ChainHash[] ReadBranch(ref ChainReader reader)
    {
        int at = reader.Position;
        byte length = reader.ReadByte();
        if (length > BitcoinMerkle.MaxBranchLength) throw reader.Fail(at, $"branch of {length} hashes, at most {BitcoinMerkle.MaxBranchLength}");
        var branch = new ChainHash[length];
        for (int i = 0; i < branch.Length; i++) branch[i] = reader.ReadHash();
        return branch;
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
        var branch = ReadBranch(ref reader);
        int countAt = reader.Position;
        uint headerCount = reader.ReadUInt32();
        if (headerCount == 0) throw reader.Fail(countAt, "no header");
        if (headerCount > (uint)(reader.Remaining / BlockHeader.Size))
            throw reader.Fail(countAt, $"{headerCount} headers declared, {reader.Remaining} bytes follow");
        var headers = new BlockHeader[headerCount];
        for (int i = 0; i < headers.Length; i++) headers[i] = BlockHeader.Read(ref reader);
        int flagAt = reader.Position;
        byte hasWitness = reader.ReadByte();
        WitnessCommitmentEvidence? witness = null;
        if (hasWitness == 1)
        {
            int lengthAt = reader.Position;
            uint length = reader.ReadUInt32();
            if (length > (uint)reader.Remaining) throw reader.Fail(lengthAt, $"coinbase of {length} bytes, {reader.Remaining} follow");
            var coinbase = reader.Take((int)length).ToArray();
            witness = new WitnessCommitmentEvidence(coinbase, ReadBranch(ref reader), ReadBranch(ref reader));
        }
        else if (hasWitness != 0) throw reader.Fail(flagAt, $"witness flag {hasWitness}");
        reader.ExpectEnd();
        return new NetworkEvidence((long)height, (int)position, branch, headers, witness);
    }
}
