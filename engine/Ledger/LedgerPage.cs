namespace LatticeKV.Ledger;

/// <summary>One page of transactions in chain order, and where the next one starts.</summary>
/// <param name="Transactions">The transactions of this page.</param>
/// <param name="Continuation">Pass as <see cref="LedgerQuery.Continuation"/> to read the next page; null when this was the last.</param>
public sealed record LedgerPage(IReadOnlyList<LedgerTransaction> Transactions, string? Continuation);
