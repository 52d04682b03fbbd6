namespace LatticeKV.Ledger.Chain;

/// <summary>A parsed serialized block: its header, then a CompactSize count and that many transactions.</summary>
internal sealed class BitcoinBlock
{
    /// <summary>Smallest serialized transaction (version, one input, no output, lock time): bounds the count before anything is allocated.</summary>
    private const int MinTransactionSize = 4 + 1 + 41 + 1 + 4;

    private BitcoinBlock(BlockHeader header, IReadOnlyList<BitcoinTransaction> transactions, IReadOnlyList<Range> ranges)
    {
        Header = header;
        Transactions = transactions;
        TransactionRanges = ranges;
    }

    public BlockHeader Header { get; }

    public IReadOnlyList<BitcoinTransaction> Transactions { get; }

    /// <summary>Where each transaction's bytes lie in the parsed input.</summary>
    public IReadOnlyList<Range> TransactionRanges { get; }

    public IReadOnlyList<ChainHash> Txids => [.. Transactions.Select(t => t.Txid)];

    /// <summary>Parses a whole block; bytes after the last transaction are an error.</summary>
    public static BitcoinBlock Parse(ReadOnlySpan<byte> bytes)
    {
        var reader = new ChainReader(bytes, "block");
        var header = BlockHeader.Read(ref reader);
        int count = reader.ReadCount(MinTransactionSize);
        if (count == 0) throw reader.Fail(BlockHeader.Size, "a block has at least its coinbase transaction");
        var transactions = new List<BitcoinTransaction>(count);
        var ranges = new List<Range>(count);
        for (int i = 0; i < count; i++)
        {
            int start = reader.Position;
            transactions.Add(BitcoinTransaction.Read(ref reader));
            ranges.Add(start..reader.Position);
        }
        reader.ExpectEnd();
        return new BitcoinBlock(header, transactions, ranges);
    }

    /// <summary>Whether the transactions' Merkle root is the header's, and the tree was not mutated by duplication (CVE-2012-2459).</summary>
    public bool MerkleRootMatches()
    {
        var root = BitcoinMerkle.ComputeRoot(Txids, out bool mutated);
        return !mutated && root == Header.MerkleRoot;
    }
}
