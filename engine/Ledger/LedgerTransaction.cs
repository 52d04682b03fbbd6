namespace LatticeKV.Ledger;

/// <summary>
/// A transaction as the ledger stores it (<see cref="Ledger.Append"/>): which chain, its id, where it
/// sits (block height, block hash, position in the block), its raw bytes, the postings it implies
/// and its status. (<see cref="Chain"/>, <see cref="TransactionId"/>) identifies it: appending it
/// again with the same content counts once.
/// </summary>
/// <remarks>
/// Record equality compares <see cref="RawTransaction"/> and <see cref="Postings"/> by reference;
/// the ledger compares contents. Postings are stored sorted (account, asset, amount), so
/// <see cref="Ledger.GetTransaction"/> returns them in that order.
/// </remarks>
public sealed record LedgerTransaction
{
    /// <summary>The chain's id (1 to 64 UTF-8 bytes), for example "bitcoin" or "ethereum-1".</summary>
    public required string Chain { get; init; }

    /// <summary>The transaction's id on its chain (1 to 128 UTF-8 bytes), for example the txid in hex.</summary>
    public required string TransactionId { get; init; }

    /// <summary>The block's height (0 or more); null while <see cref="LedgerStatusKind.Pending"/>.</summary>
    public long? BlockHeight { get; init; }

    /// <summary>The block's hash (up to 128 UTF-8 bytes); null while pending.</summary>
    public string? BlockHash { get; init; }

    /// <summary>The transaction's position in its block (0 or more); 0 while pending.</summary>
    public int Position { get; init; }

    /// <summary>The transaction as the network serialises it (may be empty).</summary>
    public byte[] RawTransaction { get; init; } = [];

    /// <summary>The balance changes the transaction implies.</summary>
    public IReadOnlyList<LedgerPosting> Postings { get; init; } = [];

    /// <summary>Its status; <see cref="LedgerStatus.Pending"/> by default.</summary>
    public LedgerStatus Status { get; init; } = LedgerStatus.Pending;
}
