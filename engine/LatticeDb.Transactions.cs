namespace LatticeKV;

// Transactions (engine/Transactions): the entry point and what the subsystem needs of the database.
public sealed partial class LatticeDb
{
    /// <summary>
    /// Begins a transaction: optimistic by default, pessimistic with
    /// <see cref="TransactionOptions.Pessimistic"/>. See <see cref="Transaction"/> and README.md,
    /// "Transactions". Dispose it (an uncommitted transaction is rolled back).
    /// </summary>
    public Transaction BeginTransaction(TransactionOptions? options = null)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("a transaction");
        options = (options ?? new TransactionOptions()).Clone();
        options.Validate();
        return Transaction.Factory(this, options);
    }

    /// <summary>Throws unless <paramref name="columnFamily"/> is a live family of this open database.</summary>
    internal void CheckColumnFamily(ColumnFamilyHandle columnFamily) => CheckHandle(columnFamily);
}
