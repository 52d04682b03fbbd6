namespace LatticeKV.Ledger;

/// <summary>What <see cref="Ledger.VerifyAgainstNetworkAsync"/> found, one result per transaction checked.</summary>
/// <param name="Results">Each transaction in a block on the chain, with its verification result.</param>
public sealed record LedgerNetworkReport(IReadOnlyList<NetworkVerificationResult> Results)
{
    /// <summary>Transactions whose inclusion in the chain was proven.</summary>
    public int Verified => Results.Count(r => r.IsVerified);

    /// <summary>Transactions that failed: marked orphaned (or, when the node could not answer, left as they were).</summary>
    public IReadOnlyList<NetworkVerificationResult> Failures => [.. Results.Where(r => !r.IsVerified)];
}
