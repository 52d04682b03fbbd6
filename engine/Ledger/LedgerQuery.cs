namespace LatticeKV.Ledger;

/// <summary>
/// Which page of a chain's or an account's transactions to read (<see cref="Ledger.GetTransactions"/>,
/// <see cref="Ledger.GetAccountHistory"/>). The order is the chain's: by block height, then position in
/// the block; pending transactions come after every confirmed one, in the order this ledger first saw them.
/// </summary>
public sealed record LedgerQuery
{
    /// <summary>Newest first (highest height first, pending ones before all) instead of oldest first.</summary>
    public bool NewestFirst { get; init; }

    /// <summary>The most transactions a page holds (1 to 10,000). Default 100.</summary>
    public int Limit { get; init; } = 100;

    /// <summary>Continue after the page that returned this <see cref="LedgerPage.Continuation"/> (same direction and filter); null: from the start.</summary>
    public string? Continuation { get; init; }

    /// <summary>Also list transactions orphaned by reorganisations, at the place they had. Default false.</summary>
    public bool IncludeOrphaned { get; init; }
}
