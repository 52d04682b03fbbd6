namespace LatticeKV;

/// <summary>
/// A transaction could not commit, or an operation in it could not take a lock, because another
/// writer got there first. Nothing of the failed commit was written. Retry the whole
/// transaction (reads included) in a new one: see the retry loop in README.md, "Transactions".
/// <see cref="TransactionDeadlockException"/> and <see cref="TransactionTimeoutException"/>
/// derive from it, so one catch clause covers every reason to retry.
/// </summary>
public class TransactionConflictException : LatticeException
{
    /// <summary>Creates the error with a message saying what conflicted (never key bytes).</summary>
    public TransactionConflictException(string message) : base(message) { }
}
