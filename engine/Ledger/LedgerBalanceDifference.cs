namespace LatticeKV.Ledger;

/// <summary>A stored balance that differs from the fold of the stored transactions (<see cref="Ledger.VerifyBalances"/>).</summary>
/// <param name="Chain">The chain.</param>
/// <param name="Account">The account.</param>
/// <param name="Asset">The asset.</param>
/// <param name="Stored">The balance stored (0 when absent); null when it could not be read (an overflow or malformed value).</param>
/// <param name="Expected">The sum of the postings of the non-orphaned stored transactions.</param>
public sealed record LedgerBalanceDifference(string Chain, string Account, string Asset, Int128? Stored, Int128 Expected);
