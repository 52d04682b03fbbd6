namespace LatticeKV.Ledger.Chain;

/// <summary>
/// A parsed Bitcoin transaction, reduced to what verification needs: its ids and where it lies.
/// The serialization is version, [marker 0x00, flag 0x01,] inputs, outputs, [one witness stack
/// per input,] lock time; the txid hashes it without the bracketed parts, the wtxid with them.
/// </summary>
internal sealed class BitcoinTransaction
{
    private const int MinInputSize = 32 + 4 + 1 + 4;
    private const int MinOutputSize = 8 + 1;

    /// <summary>The script prefix of a witness commitment output (BIP 141): OP_RETURN, push 36, aa21a9ed.</summary>
    private static ReadOnlySpan<byte> CommitmentPrefix => [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

    private BitcoinTransaction(ChainHash txid, ChainHash wtxid, bool hasWitness, int inputCount, int outputCount, int length, int strippedLength)
    {
        StrippedLength = strippedLength;
        Txid = txid;
        Wtxid = wtxid;
        HasWitness = hasWitness;
        InputCount = inputCount;
        OutputCount = outputCount;
        Length = length;
    }

    /// <summary>Double SHA-256 of the serialization without marker, flag and witnesses: the id blocks commit to.</summary>
    public ChainHash Txid { get; }

    /// <summary>Double SHA-256 of the whole serialization (equal to <see cref="Txid"/> without witnesses).</summary>
    public ChainHash Wtxid { get; }

    public bool HasWitness { get; }

    public int InputCount { get; }

    public int OutputCount { get; }

    /// <summary>Bytes of the whole serialization, witnesses included.</summary>
    public int Length { get; }

    /// <summary>Bytes of the serialization the txid hashes (without marker, flag and witnesses).</summary>
    public int StrippedLength { get; }

    /// <summary>The last witness commitment among the outputs (BIP 141: what a coinbase commits to), or null.</summary>
    public ChainHash? WitnessCommitment { get; private init; }

    /// <summary>The first input's witness when it is one 32-byte item (a coinbase's witness reserved value), or null.</summary>
    public ChainHash? WitnessReservedValue { get; private init; }

    /// <summary>Parses exactly one transaction occupying all of <paramref name="bytes"/>.</summary>
    public static BitcoinTransaction Parse(ReadOnlySpan<byte> bytes)
    {
        var reader = new ChainReader(bytes, "transaction");
        var tx = Read(ref reader);
        reader.ExpectEnd();
        return tx;
    }

    /// <summary>Reads one transaction at the reader's position (inside a block), following Bitcoin Core's rules for the witness marker.</summary>
    public static BitcoinTransaction Read(ref ChainReader reader)
    {
        int start = reader.Position;
        reader.ReadInt32();
        int bodyStart = reader.Position;
        bool witness = false;
        int inputs = reader.ReadCount(MinInputSize);
        if (inputs == 0)
        {
            // An empty input list is the segwit marker; the flag byte after it must be 1.
            int flagAt = reader.Position;
            byte flag = reader.ReadByte();
            if (flag != 1) throw reader.Fail(flagAt, $"unknown transaction flag {flag}");
            witness = true;
            bodyStart = reader.Position;
            inputs = reader.ReadCount(MinInputSize);
        }
        for (int i = 0; i < inputs; i++)
        {
            reader.Take(36);
            reader.ReadVarBytes();
            reader.ReadUInt32();
        }
        int outputs = reader.ReadCount(MinOutputSize);
        ChainHash? commitment = null;
        for (int i = 0; i < outputs; i++)
        {
            reader.ReadUInt64();
            var script = reader.ReadVarBytes();
            if (script.Length >= 38 && script.StartsWith(CommitmentPrefix)) commitment = ChainHash.FromBytes(script.Slice(6, 32));
        }
        int bodyEnd = reader.Position;
        ChainHash? reserved = null;
        if (witness)
        {
            bool anyItem = false;
            for (int i = 0; i < inputs; i++)
            {
                int items = reader.ReadCount(1);
                anyItem |= items > 0;
                for (int j = 0; j < items; j++)
                {
                    var item = reader.ReadVarBytes();
                    if (i == 0 && items == 1 && item.Length == ChainHash.Length) reserved = ChainHash.FromBytes(item);
                }
            }
            if (!anyItem) throw reader.Fail(bodyEnd, "superfluous witness record (every stack empty)");
        }
        int lockTimeAt = reader.Position;
        reader.ReadUInt32();
        int end = reader.Position;

        var all = reader.Data[start..end];
        ChainHash wtxid = ChainHash.DoubleSha256(all);
        ChainHash txid = wtxid;
        int strippedLength = end - start;
        if (witness)
        {
            strippedLength = 4 + (bodyEnd - bodyStart) + 4;
            var stripped = new byte[strippedLength];
            reader.Data.Slice(start, 4).CopyTo(stripped);
            reader.Data[bodyStart..bodyEnd].CopyTo(stripped.AsSpan(4));
            reader.Data.Slice(lockTimeAt, 4).CopyTo(stripped.AsSpan(strippedLength - 4));
            txid = ChainHash.DoubleSha256(stripped);
        }
        return new BitcoinTransaction(txid, wtxid, witness, inputs, outputs, end - start, strippedLength)
        {
            WitnessCommitment = commitment,
            WitnessReservedValue = reserved,
        };
    }
}
