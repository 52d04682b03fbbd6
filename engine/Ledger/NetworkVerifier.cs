using LatticeKV.Ledger.Chain;

namespace LatticeKV.Ledger;

/// <summary>
/// Verifies stored transactions of Bitcoin-style chains against the network (SPV): the raw
/// transaction hashes to its txid; its Merkle branch leads to the Merkle root of the header at
/// its height; that header hashes to the stored block hash; the headers from it to the tip link
/// by hash and each meets its proof of work; the depth is the number of such headers. Every
/// failure is a result with a reason, never an exception and never a pass.
/// </summary>
/// <example><code>
/// var verifier = new NetworkVerifier();
/// var result = await verifier.VerifyAsync(claim, provider);
/// if (result.IsVerified) store(claim, result.Depth, result.Evidence!.Encode());
/// else markFailed(claim, result.Failure, result.Message);
/// // later, without a node:
/// var again = verifier.VerifyOffline(claim, NetworkEvidence.Decode(stored));
/// </code></example>
/// <remarks>Thread-safe: it holds only its options, which must not change while it verifies.</remarks>
public sealed class NetworkVerifier
{
    /// <summary>A stripped transaction of this size can be confused with an inner Merkle node (two 32-byte hashes).</summary>
    private const int AmbiguousTransactionSize = 64;

    private readonly NetworkVerifierOptions _options;

    /// <summary>Creates a verifier; <paramref name="options"/> default to <see cref="NetworkVerifierOptions"/>' defaults.</summary>
    public NetworkVerifier(NetworkVerifierOptions? options = null)
    {
        _options = options ?? new NetworkVerifierOptions();
        if (_options.MaxHeaders < 1) throw new InvalidArgumentException("MaxHeaders is at least 1", nameof(options));
    }

    /// <summary>Verifies <paramref name="claim"/> with what <paramref name="provider"/> reports of its chain now.</summary>
    public async ValueTask<NetworkVerificationResult> VerifyAsync(ChainTransactionClaim claim, INetworkStateProvider provider, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(provider);
        // What needs no node fails first, so a bad claim is never blamed on the provider.
        if (CheckClaim(claim, out _, out var tx) is { } bad) return bad;
        try
        {
            var gathered = await GatherAsync(claim, tx.HasWitness, provider, cancellationToken).ConfigureAwait(false);
            return gathered.Failure ?? VerifyOffline(claim, gathered.Evidence!);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.ProviderFailed, $"provider failed: {e.Message}");
        }
    }

    /// <summary>Verifies <paramref name="claim"/> with stored <paramref name="evidence"/> alone (no node): the depth is the number of headers it holds.</summary>
    public NetworkVerificationResult VerifyOffline(ChainTransactionClaim claim, NetworkEvidence evidence)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(evidence);
        var txid = claim.TransactionId;
        if (CheckClaim(claim, out var parameters, out var tx) is { } bad) return bad;
        if (evidence.BlockHeight != claim.BlockHeight || evidence.Position != claim.Position)
            return NetworkVerificationResult.Failed(txid, NetworkVerificationFailure.EvidenceMismatch,
                $"evidence is for height {evidence.BlockHeight} position {evidence.Position}, the ledger stored height {claim.BlockHeight} position {claim.Position}");
        var header = evidence.Headers[0];
        if (header.Hash != claim.BlockHash)
            return NetworkVerificationResult.Failed(txid, NetworkVerificationFailure.BlockHashMismatch, $"header at height {claim.BlockHeight} hashes to {header.Hash}, not {claim.BlockHash}");
        var root = BitcoinMerkle.RootFromBranch(txid, evidence.Branch, evidence.Position);
        if (root != header.MerkleRoot)
            return NetworkVerificationResult.Failed(txid, NetworkVerificationFailure.MerkleBranchMismatch,
                $"branch of {evidence.Branch.Count} hashes at position {evidence.Position} does not lead to Merkle root {header.MerkleRoot}");
        if (tx.HasWitness && CheckWitness(tx, claim, evidence, header) is { } unbound) return unbound;
        // Nothing unchecked is accepted: stored evidence holds a witness section only for a transaction that needs it.
        if (!tx.HasWitness && evidence.Witness is not null)
            return NetworkVerificationResult.Failed(txid, NetworkVerificationFailure.EvidenceMismatch, "witness evidence for a transaction without witnesses");
        var chain = HeaderChainCheck.Check(evidence.Headers, evidence.BlockHeight, parameters);
        if (!chain.Ok) return NetworkVerificationResult.Failed(txid, chain.Failure, chain.Message);
        return NetworkVerificationResult.Verified(txid, evidence.Headers.Count, chain.Work, evidence);
    }

    /// <summary>The checks that need no evidence: a known chain, and a raw transaction that parses to the stored txid.</summary>
    private NetworkVerificationResult? CheckClaim(ChainTransactionClaim claim, out ChainParameters parameters, out BitcoinTransaction tx)
    {
        tx = null!;
        if (!_options.Chains.TryGetValue(claim.ChainId, out parameters!))
            return NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.UnsupportedChain, $"no parameters for chain '{claim.ChainId}'");
        try { tx = BitcoinTransaction.Parse(claim.RawTransaction.Span); }
        catch (ChainDataException e)
        {
            return NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.MalformedTransaction, e.Message);
        }
        if (tx.Txid != claim.TransactionId)
            return NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.TransactionIdMismatch, $"raw transaction hashes to {tx.Txid}");
        if (tx.StrippedLength == AmbiguousTransactionSize)
            return NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.MalformedTransaction, "a 64-byte transaction cannot be told from a Merkle node");
        return null;
    }

    /// <summary>
    /// BIP 141: the coinbase sits at position 0 under the header's Merkle root, and commits to
    /// double-SHA-256(witness root ‖ its witness reserved value); the witness root is rebuilt from
    /// the transaction's wtxid and branch (the coinbase's own leaf is all zeros). The three
    /// branches describe one tree, so they have one length.
    /// </summary>
    private static NetworkVerificationResult? CheckWitness(BitcoinTransaction tx, ChainTransactionClaim claim, NetworkEvidence evidence, BlockHeader header)
    {
        if (evidence.Witness is not { } witness) return Unbound("the evidence holds no witness commitment");
        BitcoinTransaction coinbase;
        try { coinbase = BitcoinTransaction.Parse(witness.CoinbaseTransaction.Span); }
        catch (ChainDataException e) { return Unbound($"coinbase: {e.Message}"); }
        if (witness.CoinbaseBranch.Count != evidence.Branch.Count || witness.WitnessBranch.Count != evidence.Branch.Count)
            return Unbound("the coinbase, witness and transaction branches differ in length");
        if (BitcoinMerkle.RootFromBranch(coinbase.Txid, witness.CoinbaseBranch, 0) != header.MerkleRoot)
            return Unbound("the coinbase is not at position 0 under the header's Merkle root");
        if (coinbase.WitnessCommitment is not { } commitment || coinbase.WitnessReservedValue is not { } reserved)
            return Unbound("the coinbase carries no witness commitment");
        // The coinbase's own leaf is zeros; as the claimed transaction it must be that very coinbase.
        if (evidence.Position == 0 && !claim.RawTransaction.Span.SequenceEqual(witness.CoinbaseTransaction.Span))
            return Unbound("the transaction at position 0 is not the evidence's coinbase");
        var leaf = evidence.Position == 0 ? default : tx.Wtxid;
        if (BitcoinMerkle.RootFromBranch(leaf, witness.WitnessBranch, evidence.Position) is not { } root)
            return Unbound("the witness branch does not fit the position");
        Span<byte> pair = stackalloc byte[ChainHash.Length * 2];
        root.CopyTo(pair);
        reserved.CopyTo(pair[ChainHash.Length..]);
        if (ChainHash.DoubleSha256(pair) != commitment)
            return Unbound($"the witness root {root} does not match the coinbase's commitment {commitment}");
        return null;

        NetworkVerificationResult Unbound(string message)
            => NetworkVerificationResult.Failed(claim.TransactionId, NetworkVerificationFailure.WitnessNotCommitted, "witnesses not bound to the block: " + message);
    }

    private readonly record struct Gathered(NetworkVerificationResult? Failure, NetworkEvidence? Evidence);

    /// <summary>Collects the provider's evidence and headers, failing early on what only the provider can tell (missing data, a reorganized block).</summary>
    private async ValueTask<Gathered> GatherAsync(ChainTransactionClaim claim, bool hasWitness, INetworkStateProvider provider, CancellationToken ct)
    {
        string chain = claim.ChainId;
        var txid = claim.TransactionId;
        var inclusion = await provider.GetInclusionEvidenceAsync(chain, txid, ct).ConfigureAwait(false);
        if (inclusion is null)
            return Fail(NetworkVerificationFailure.EvidenceUnavailable, "the provider has no inclusion evidence for the transaction");
        if (inclusion.BlockHash != claim.BlockHash || inclusion.BlockHeight != claim.BlockHeight || inclusion.Position != claim.Position)
            return Fail(NetworkVerificationFailure.EvidenceMismatch,
                $"the provider places it in {inclusion.BlockHash} at height {inclusion.BlockHeight} position {inclusion.Position}; the ledger stored {claim.BlockHash} at height {claim.BlockHeight} position {claim.Position}");
        if (inclusion.Branch.Count > BitcoinMerkle.MaxBranchLength)
            return Fail(NetworkVerificationFailure.MerkleBranchMismatch, $"branch of {inclusion.Branch.Count} hashes");

        var first = await provider.GetHeaderAsync(chain, claim.BlockHeight, ct).ConfigureAwait(false);
        if (first is null) return Fail(NetworkVerificationFailure.HeaderUnavailable, $"no header at height {claim.BlockHeight}");
        if (first.Hash != claim.BlockHash)
        {
            var stored = await provider.GetHeaderByHashAsync(chain, claim.BlockHash, ct).ConfigureAwait(false);
            return stored is not null && stored.Hash == claim.BlockHash
                ? Fail(NetworkVerificationFailure.NotOnBestChain, $"block {claim.BlockHash} is known but {first.Hash} is at height {claim.BlockHeight}")
                : Fail(NetworkVerificationFailure.BlockHashMismatch, $"header at height {claim.BlockHeight} hashes to {first.Hash}, not {claim.BlockHash}");
        }

        long tip = await provider.GetTipHeightAsync(chain, ct).ConfigureAwait(false);
        if (tip < claim.BlockHeight) return Fail(NetworkVerificationFailure.HeaderUnavailable, $"tip {tip} is below the block's height {claim.BlockHeight}");
        long last = Math.Min(tip, claim.BlockHeight + _options.MaxHeaders - 1);
        var headers = new List<BlockHeader> { first };
        for (long height = claim.BlockHeight + 1; height <= last; height++)
        {
            var header = await provider.GetHeaderAsync(chain, height, ct).ConfigureAwait(false);
            if (header is null) return Fail(NetworkVerificationFailure.HeaderUnavailable, $"no header at height {height} (tip {tip})");
            headers.Add(header);
        }
        return new Gathered(null, new NetworkEvidence(claim.BlockHeight, claim.Position, inclusion.Branch, headers, hasWitness ? inclusion.Witness : null));

        Gathered Fail(NetworkVerificationFailure failure, string message) => new(NetworkVerificationResult.Failed(txid, failure, message), null);
    }
}
