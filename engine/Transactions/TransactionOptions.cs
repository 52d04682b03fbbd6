namespace LatticeKV;

/// <summary>Options of one transaction, for <see cref="LatticeDb.BeginTransaction"/>.</summary>
public sealed class TransactionOptions
{
    /// <summary>The default lock wait of a pessimistic transaction.</summary>
    public static readonly TimeSpan DefaultLockTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// False (default): optimistic. Reads take no locks; the commit fails with
    /// <see cref="TransactionConflictException"/> when anything the transaction read or wrote was
    /// written by someone else after it began. True: pessimistic. GetForUpdate, Put, Delete and
    /// Merge lock their key until the transaction ends; other transactions wait for it.
    /// </summary>
    public bool Pessimistic { get; set; }

    /// <summary>
    /// How long a lock request waits for another transaction before it fails with
    /// <see cref="TransactionTimeoutException"/>: a pessimistic transaction's requests, and an
    /// optimistic commit's wait for the keys it writes (held by pessimistic transactions, or by
    /// other commits for an instant). Default one second; must be positive or
    /// <see cref="Timeout.InfiniteTimeSpan"/> (deadlocks are still detected, but a transaction
    /// left open by its owner then blocks its waiters until it ends).
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = DefaultLockTimeout;

    /// <summary>
    /// Commit with <see cref="WriteOptions.Sync"/>: the commit returns once its write is on
    /// disk. <see cref="Transaction.Commit(WriteOptions)"/> overrides it for one commit.
    /// </summary>
    public bool Sync { get; set; }

    internal TransactionOptions Clone() => (TransactionOptions)MemberwiseClone();

    internal void Validate()
    {
        if (LockTimeout <= TimeSpan.Zero && LockTimeout != Timeout.InfiniteTimeSpan)
            throw new InvalidArgumentException("LockTimeout must be positive or Timeout.InfiniteTimeSpan.", nameof(LockTimeout));
    }
}
