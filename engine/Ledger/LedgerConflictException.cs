namespace LatticeKV.Ledger;

/// <summary>
/// A transaction id was appended again with different content (raw bytes or postings): the ledger
/// keeps the first and refuses the second. Only status and placement (block height, hash,
/// position) may change between appends of one (chain, transaction id).
/// </summary>
public sealed class LedgerConflictException : LedgerException
{
    /// <summary>Creates the error for the transaction <paramref name="transactionId"/> of <paramref name="chain"/>.</summary>
    public LedgerConflictException(string chain, string transactionId)
        : base("A transaction with this id is already stored with different raw bytes or postings; a transaction id cannot be reused.")
    {
        Chain = chain;
        TransactionId = transactionId;
    }

    /// <summary>The chain of the refused transaction.</summary>
    public string Chain { get; }

    /// <summary>The refused transaction's id.</summary>
    public string TransactionId { get; }
}
