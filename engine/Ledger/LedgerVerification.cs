namespace LatticeKV.Ledger;

/// <summary>What <see cref="Ledger.VerifyBalances"/> found.</summary>
/// <param name="TransactionsChecked">Stored transaction records read.</param>
/// <param name="BalancesChecked">Distinct (chain, account, asset) balances compared.</param>
/// <param name="BalanceDifferences">Every balance that differs from the fold of the non-orphaned transactions.</param>
/// <param name="Problems">Records, index entries and leaves that disagree with each other.</param>
public sealed record LedgerVerification(long TransactionsChecked, long BalancesChecked, IReadOnlyList<LedgerBalanceDifference> BalanceDifferences, IReadOnlyList<LedgerProblem> Problems)
{
    /// <summary>True when nothing differs.</summary>
    public bool IsConsistent => BalanceDifferences.Count == 0 && Problems.Count == 0;

    /// <summary>Merkle leaves rehashed (by <see cref="Ledger.Verify"/>; 0 from <see cref="Ledger.VerifyBalances"/>).</summary>
    public long LeavesChecked { get; init; }
}
