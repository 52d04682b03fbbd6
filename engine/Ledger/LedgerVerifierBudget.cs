namespace LatticeKV.Ledger;

/// <summary>
/// The most keys <see cref="LedgerVerifier"/> may hold in memory at once (balances, the index
/// entries of the record in hand, problems kept for later). Verification holds nothing per stored
/// transaction, so a ledger of any length verifies under a budget that covers its distinct
/// balances and its largest record: tests set a small one to prove it, and a verifier that
/// started holding per-transaction state would fail them by throwing, not by running slowly.
/// </summary>
internal sealed class LedgerVerifierBudget(long maxHeldKeys)
{
    /// <summary>No limit: what <see cref="Ledger.VerifyBalances"/> uses.</summary>
    internal static readonly LedgerVerifierBudget Unbounded = new(long.MaxValue);

    /// <summary>The most keys held at once so far.</summary>
    internal long PeakHeld { get; private set; }

    /// <summary>Records that <paramref name="held"/> keys are in memory now.</summary>
    /// <exception cref="InvalidOperationException">More than the budget.</exception>
    internal void Hold(long held)
    {
        if (held > PeakHeld) PeakHeld = held;
        if (held > maxHeldKeys) throw new InvalidOperationException($"the ledger verifier holds {held} keys, over its budget of {maxHeldKeys}");
    }
}
