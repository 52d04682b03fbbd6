namespace LatticeKV.Ledger;

/// <summary>
/// A block of the new best chain handed to <see cref="Ledger.Reorganize"/>: its height, hash and
/// the ledger's transactions in it. Each transaction is stored at this height and hash, at its own
/// <see cref="LedgerTransaction.Position"/>, as confirmed (its given height, hash and status are replaced).
/// </summary>
/// <param name="Height">The block's height.</param>
/// <param name="Hash">The block's hash.</param>
/// <param name="Transactions">The transactions of the block the ledger tracks.</param>
public sealed record LedgerBlock(long Height, string Hash, IReadOnlyList<LedgerTransaction> Transactions);
