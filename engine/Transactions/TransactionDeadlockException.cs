namespace LatticeKV;

/// <summary>
/// A pessimistic transaction asked for a lock held by a transaction that waits, directly or
/// through others, for a lock this one holds. The request that would have closed the cycle
/// fails (the others go on); the transaction stays active with the locks it has, and should be
/// rolled back and retried.
/// </summary>
public sealed class TransactionDeadlockException : TransactionConflictException
{
    /// <summary>Creates the error naming the column family of the lock requested.</summary>
    public TransactionDeadlockException(string columnFamily)
        : base($"Deadlock: a lock on a key of column family '{columnFamily}' is held by a transaction that waits for this one.") { }
}
