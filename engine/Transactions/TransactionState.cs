namespace LatticeKV;

/// <summary>Where a <see cref="Transaction"/> is in its life.</summary>
public enum TransactionState
{
    /// <summary>Reads and writes are allowed.</summary>
    Active,

    /// <summary><see cref="Transaction.Commit()"/> succeeded: every write is in the database.</summary>
    Committed,

    /// <summary>Rolled back, disposed without commit, or a commit failed: nothing was written.</summary>
    RolledBack,
}
