namespace LatticeKV.Ledger;

/// <summary>A stored record, index entry or Merkle leaf that does not agree with the others (<see cref="Ledger.VerifyBalances"/>).</summary>
/// <param name="Chain">The chain, when known.</param>
/// <param name="TransactionId">The transaction, when known.</param>
/// <param name="Description">What is wrong.</param>
public sealed record LedgerProblem(string? Chain, string? TransactionId, string Description);
