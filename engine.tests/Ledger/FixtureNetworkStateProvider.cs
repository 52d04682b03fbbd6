using LatticeKV.Ledger;
using LatticeKV.Ledger.Chain;

namespace LatticeKV.Tests.Ledger;

/// <summary>
/// A node's view of one chain built from fixture data: a best chain of headers from
/// <c>firstHeight</c>, the txids of the blocks whose transactions are known (branches are built
/// from them), and side blocks known by hash only. The hooks let a test make it lie or fail.
/// </summary>
public sealed class FixtureNetworkStateProvider : INetworkStateProvider
{
    private readonly string _chainId;
    private readonly long _firstHeight;
    private readonly List<BlockHeader> _headers;
    private readonly Dictionary<long, IReadOnlyList<ChainHash>> _txids = [];
    private readonly Dictionary<ChainHash, BlockHeader> _sideBlocks = [];
    private readonly Dictionary<long, IReadOnlyList<byte[]>> _rawBlocks = [];

    public FixtureNetworkStateProvider(string chainId, long firstHeight, IEnumerable<BlockHeader> headers)
    {
        _chainId = chainId;
        _firstHeight = firstHeight;
        _headers = [.. headers];
    }

    /// <summary>Replaces the header returned for a height (a lying or damaged node).</summary>
    public Func<long, BlockHeader, BlockHeader?>? HeaderHook { get; set; }

    /// <summary>Replaces the inclusion evidence returned (a lying or damaged node).</summary>
    public Func<TransactionInclusionEvidence, TransactionInclusionEvidence?>? EvidenceHook { get; set; }

    /// <summary>When set, every call throws it (an unreachable node).</summary>
    public Exception? Failure { get; set; }

    public long TipHeight => _firstHeight + _headers.Count - 1;

    public void AddTransactions(long height, IReadOnlyList<ChainHash> txids) => _txids[height] = txids;

    /// <summary>A block whose raw transactions are known: its evidence includes the witness commitment when its coinbase has one.</summary>
    public void AddBlock(long height, IReadOnlyList<byte[]> transactions)
    {
        _rawBlocks[height] = transactions;
        AddTransactions(height, [.. transactions.Select(t => BitcoinTransaction.Parse(t).Txid)]);
    }

    public void AddSideBlock(BlockHeader header) => _sideBlocks[header.Hash] = header;

    public ValueTask<long> GetTipHeightAsync(string chainId, CancellationToken cancellationToken = default)
    {
        Check(chainId);
        return ValueTask.FromResult(TipHeight);
    }

    public ValueTask<BlockHeader?> GetHeaderAsync(string chainId, long height, CancellationToken cancellationToken = default)
    {
        Check(chainId);
        if (height < _firstHeight || height > TipHeight) return ValueTask.FromResult<BlockHeader?>(null);
        var header = _headers[(int)(height - _firstHeight)];
        return ValueTask.FromResult(HeaderHook is null ? header : HeaderHook(height, header));
    }

    public ValueTask<BlockHeader?> GetHeaderByHashAsync(string chainId, ChainHash blockHash, CancellationToken cancellationToken = default)
    {
        Check(chainId);
        var found = _headers.FirstOrDefault(h => h.Hash == blockHash) ?? _sideBlocks.GetValueOrDefault(blockHash);
        return ValueTask.FromResult(found);
    }

    public ValueTask<TransactionInclusionEvidence?> GetInclusionEvidenceAsync(string chainId, ChainHash transactionId, CancellationToken cancellationToken = default)
    {
        Check(chainId);
        foreach (var (height, txids) in _txids)
        {
            int position = txids.ToList().IndexOf(transactionId);
            if (position < 0 || height > TipHeight) continue;
            var header = _headers[(int)(height - _firstHeight)];
            var evidence = new TransactionInclusionEvidence(header.Hash, height, position, BitcoinMerkle.Branch(txids, position), WitnessEvidence(height, txids, position));
            return ValueTask.FromResult(EvidenceHook is null ? evidence : EvidenceHook(evidence));
        }
        return ValueTask.FromResult<TransactionInclusionEvidence?>(null);
    }

    private WitnessCommitmentEvidence? WitnessEvidence(long height, IReadOnlyList<ChainHash> txids, int position)
    {
        if (!_rawBlocks.TryGetValue(height, out var raw) || BitcoinTransaction.Parse(raw[0]).WitnessCommitment is null) return null;
        IReadOnlyList<ChainHash> wtxids = [default, .. raw.Skip(1).Select(t => BitcoinTransaction.Parse(t).Wtxid)];
        return new WitnessCommitmentEvidence(raw[0], BitcoinMerkle.Branch(txids, 0), BitcoinMerkle.Branch(wtxids, position));
    }

    private void Check(string chainId)
    {
        if (Failure is not null) throw Failure;
        Assert.Equal(_chainId, chainId);
    }
}
