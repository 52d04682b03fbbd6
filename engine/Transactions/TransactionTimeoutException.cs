namespace LatticeKV;

/// <summary>
/// A pessimistic transaction waited longer than <see cref="TransactionOptions.LockTimeout"/> for
/// a lock another transaction holds. The transaction stays active with the locks it has, and
/// should be rolled back and retried.
/// </summary>
public sealed class TransactionTimeoutException : TransactionConflictException
{
    /// <summary>Creates the error naming the column family of the lock and the time waited.</summary>
    public TransactionTimeoutException(string columnFamily, TimeSpan waited)
        : base($"Timed out after {waited.TotalMilliseconds:0} ms waiting for a lock on a key of column family '{columnFamily}'.") { }
}
