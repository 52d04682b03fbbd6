namespace LatticeKV.Ledger;

/// <summary>
/// A view of a Bitcoin-style network from a node the application trusts to be reachable, not
/// to be honest: an RPC client (getblockheader, getblockhash, gettxoutproof), an Electrum
/// server, or a fixture in tests. <see cref="NetworkVerifier"/> checks everything it returns
/// (hashes, links, proof of work, Merkle branches), so a lying provider makes verification
/// fail, never pass.
/// </summary>
/// <remarks>
/// Asynchronous because real providers talk to a node. Implementations must be safe to call
/// from one verification at a time; the verifier never calls one concurrently with itself.
/// Returning null means "not known"; throwing is reported as
/// <see cref="NetworkVerificationFailure.ProviderFailed"/> (cancellation is passed through).
/// Heights are those of the provider's best chain at the time of the call.
/// </remarks>
public interface INetworkStateProvider
{
    /// <summary>Height of the best chain's tip.</summary>
    ValueTask<long> GetTipHeightAsync(string chainId, CancellationToken cancellationToken = default);

    /// <summary>The header at <paramref name="height"/> on the best chain, or null when there is none.</summary>
    ValueTask<BlockHeader?> GetHeaderAsync(string chainId, long height, CancellationToken cancellationToken = default);

    /// <summary>The header of block <paramref name="blockHash"/>, on the best chain or not, or null when unknown.</summary>
    ValueTask<BlockHeader?> GetHeaderByHashAsync(string chainId, ChainHash blockHash, CancellationToken cancellationToken = default);

    /// <summary>Where the transaction was mined on the best chain, or null when it was not (unknown, unconfirmed or reorganized away).</summary>
    ValueTask<TransactionInclusionEvidence?> GetInclusionEvidenceAsync(string chainId, ChainHash transactionId, CancellationToken cancellationToken = default);
}
