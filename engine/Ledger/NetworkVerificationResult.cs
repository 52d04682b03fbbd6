using System.Numerics;

namespace LatticeKV.Ledger;

/// <summary>
/// The outcome of verifying one transaction against the network: verified with a confirmation
/// depth (and the evidence to store for offline re-checks), or failed with a reason. A failed
/// transaction must be marked and reported by the caller, never kept as confirmed.
/// </summary>
public sealed record NetworkVerificationResult
{
    private NetworkVerificationResult(ChainHash transactionId, NetworkVerificationFailure failure, string message, int depth, BigInteger work, NetworkEvidence? evidence)
    {
        TransactionId = transactionId;
        Failure = failure;
        Message = message;
        Depth = depth;
        CumulativeWork = work;
        Evidence = evidence;
    }

    /// <summary>The transaction the result is about (the stored id, as claimed).</summary>
    public ChainHash TransactionId { get; }

    /// <summary>Whether every check passed.</summary>
    public bool IsVerified => Failure == NetworkVerificationFailure.None;

    /// <summary>Why verification failed, or <see cref="NetworkVerificationFailure.None"/>.</summary>
    public NetworkVerificationFailure Failure { get; }

    /// <summary>What was checked or what failed, for people: heights, hashes, never amounts.</summary>
    public string Message { get; }

    /// <summary>
    /// Confirmations: headers from the transaction's block up to the tip that were linked and
    /// checked for proof of work (1 = in the tip block); 0 when failed. Never more than was checked
    /// (<see cref="NetworkVerifierOptions.MaxHeaders"/> caps it).
    /// </summary>
    public int Depth { get; }

    /// <summary>Expected hashes behind the checked headers (sum of 2^256 / (target + 1)); 0 when failed.</summary>
    public BigInteger CumulativeWork { get; }

    /// <summary>On success, what the ledger stores with the transaction to re-verify offline (<see cref="NetworkEvidence.Encode"/>).</summary>
    public NetworkEvidence? Evidence { get; }

    internal static NetworkVerificationResult Verified(ChainHash txid, int depth, BigInteger work, NetworkEvidence evidence)
        => new(txid, NetworkVerificationFailure.None, $"verified at depth {depth}", depth, work, evidence);

    internal static NetworkVerificationResult Failed(ChainHash txid, NetworkVerificationFailure failure, string message)
        => new(txid, failure, message, 0, BigInteger.Zero, null);
}
