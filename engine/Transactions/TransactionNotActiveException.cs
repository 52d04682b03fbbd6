namespace LatticeKV;

/// <summary>
/// An operation on a transaction that has ended: committed, rolled back, disposed, or failed to
/// commit (a failed commit ends the transaction). Begin a new one. <see cref="Transaction.State"/> says how it ended.
/// </summary>
public sealed class TransactionNotActiveException : LatticeException
{
    /// <summary>Creates the error saying how the transaction ended ("committed", "rolled back").</summary>
    public TransactionNotActiveException(string howEnded)
        : base($"The transaction has ended ({howEnded}); begin a new one.") { }
}
