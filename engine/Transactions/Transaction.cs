namespace LatticeKV;

/// <summary>
/// A unit of reads and writes that commits atomically (one write-ahead log record) or not at
/// all, from <see cref="LatticeDb.BeginTransaction"/>. Writes are buffered in the transaction
/// and seen by its own reads and iterators; nothing reaches the database before
/// <see cref="Commit()"/>. Disposing an uncommitted transaction rolls it back.
/// Not thread-safe: use a transaction from one thread at a time.
/// </summary>
/// <remarks>
/// <para>Optimistic (the default): reads see the database as of <see cref="LatticeDb.BeginTransaction"/>
/// (a snapshot) plus the transaction's own writes. The commit fails with
/// <see cref="TransactionConflictException"/> when, since that snapshot, another write touched a
/// key the transaction read (Get, GetForUpdate), any key in a range its iterators went over
/// (from where they were positioned to where they stopped, so a key inserted there is a
/// conflict too), or a key it wrote. A transaction that commits is therefore serializable: it
/// behaves as if it ran alone at its commit.</para>
/// <para>Pessimistic (<see cref="TransactionOptions.Pessimistic"/>): GetForUpdate, Put, Delete and
/// Merge lock their key until the transaction ends; Get and iterators take no lock and read the
/// latest committed data. Locked keys cannot be changed by another transaction, so a
/// read-modify-write through GetForUpdate never loses an update and the commit never conflicts.
/// A lock request fails with <see cref="TransactionDeadlockException"/> or
/// <see cref="TransactionTimeoutException"/> instead of waiting forever. Plain writes to the
/// database (<see cref="LatticeDb.Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteOptions?)"/>)
/// take no locks and are not held back by them.</para>
/// </remarks>
/// <example>
/// <code>
/// while (true)
/// {
///     using var txn = db.BeginTransaction();
///     long balance = BitConverter.ToInt64(txn.GetForUpdate("alice"u8));
///     txn.Put("alice"u8, BitConverter.GetBytes(balance - 10));
///     try { txn.Commit(); break; }
///     catch (TransactionConflictException) { } // someone else wrote "alice": read again
/// }
/// </code>
/// </example>
public abstract class Transaction : IDisposable
{
    // Set by the transactions subsystem when the engine loads: the API cannot name the
    // implementation, which sits in a layer above it (engine.tests/ArchitectureTests.cs).
    internal static Func<LatticeDb, TransactionOptions, Transaction> Factory { get; set; } = null!;

    private protected Transaction(LatticeDb db) => Database = db;

    internal LatticeDb Database { get; }

    /// <summary>Active until committed or rolled back.</summary>
    public abstract TransactionState State { get; }

    /// <summary>True when the transaction locks keys (<see cref="TransactionOptions.Pessimistic"/>).</summary>
    public abstract bool IsPessimistic { get; }

    /// <summary>The value of <paramref name="key"/> in the default column family as this transaction sees it, or null.</summary>
    public byte[]? Get(ReadOnlySpan<byte> key) => Get(Database.DefaultColumnFamily, key);

    /// <summary>The value of <paramref name="key"/> in <paramref name="columnFamily"/> as this transaction sees it, or null.</summary>
    public abstract byte[]? Get(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key);

    /// <summary>
    /// Reads <paramref name="key"/> of the default column family, intending to write it:
    /// a pessimistic transaction locks it first. See <see cref="GetForUpdate(ColumnFamilyHandle, ReadOnlySpan{byte})"/>.
    /// </summary>
    public byte[]? GetForUpdate(ReadOnlySpan<byte> key) => GetForUpdate(Database.DefaultColumnFamily, key);

    /// <summary>
    /// Reads <paramref name="key"/> intending to write it. Optimistic: as <see cref="Get(ColumnFamilyHandle, ReadOnlySpan{byte})"/>
    /// (every read is checked at commit). Pessimistic: locks the key, then reads its latest value.
    /// </summary>
    /// <exception cref="TransactionDeadlockException">Pessimistic: waiting would close a cycle of waiting transactions.</exception>
    /// <exception cref="TransactionTimeoutException">Pessimistic: the lock was not granted within <see cref="TransactionOptions.LockTimeout"/>.</exception>
    public abstract byte[]? GetForUpdate(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key);

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> in the default column family at commit.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Put(Database.DefaultColumnFamily, key, value);

    /// <summary>
    /// Stores <paramref name="value"/> under <paramref name="key"/> in <paramref name="columnFamily"/> at commit (pessimistic: locks the key now).
    /// Throws <see cref="ValidationException"/> at once when the family's validator refuses the value: nothing is buffered and the transaction stays active.
    /// </summary>
    public abstract void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes <paramref name="key"/> from the default column family at commit.</summary>
    public void Delete(ReadOnlySpan<byte> key) => Delete(Database.DefaultColumnFamily, key);

    /// <summary>Removes <paramref name="key"/> from <paramref name="columnFamily"/> at commit (pessimistic: locks the key now).</summary>
    public abstract void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key);

    /// <summary>Adds a merge operand to <paramref name="key"/> of the default column family at commit; see <see cref="Merge(ColumnFamilyHandle, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.</summary>
    public void Merge(ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand) => Merge(Database.DefaultColumnFamily, key, operand);

    /// <summary>
    /// Adds <paramref name="operand"/> to <paramref name="key"/> of <paramref name="columnFamily"/> at commit
    /// (pessimistic: locks the key now), as <see cref="LatticeDb.Merge(ColumnFamilyHandle, ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteOptions?)"/>
    /// does: the family's <see cref="ColumnFamilyOptions.MergeOperator"/> combines it with the older value.
    /// The transaction's own reads see its operands applied over the value it sees. An optimistic
    /// commit treats the key as written (a concurrent write to it is a conflict).
    /// </summary>
    /// <exception cref="InvalidArgumentException">The family has no merge operator, or the operator refuses the operand.</exception>
    public abstract void Merge(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand);

    /// <summary>An iterator over the default column family as this transaction sees it; see <see cref="NewIterator(ColumnFamilyHandle, ReadOptions?)"/>.</summary>
    public TransactionIterator NewIterator(ReadOptions? options = null) => NewIterator(Database.DefaultColumnFamily, options);

    /// <summary>
    /// An iterator over <paramref name="columnFamily"/>: the transaction's own writes (made before
    /// the iterator was created) over the database as the transaction reads it (optimistic: its
    /// snapshot; pessimistic: the moment the iterator is created). <paramref name="options"/> may
    /// give bounds and <see cref="ReadOptions.FillCache"/>; a snapshot is refused (the
    /// transaction chooses it). Dispose it when done; it is unusable once the transaction ends.
    /// </summary>
    public abstract TransactionIterator NewIterator(ColumnFamilyHandle columnFamily, ReadOptions? options = null);

    /// <summary>
    /// Writes everything the transaction buffered as one atomic batch, synced when
    /// <see cref="TransactionOptions.Sync"/> is set. The transaction ends whether or not it succeeds.
    /// A transaction that wrote nothing writes nothing (it needs no check: its reads all came
    /// from one snapshot).
    /// </summary>
    /// <exception cref="TransactionConflictException">Optimistic: something read or written was written by someone else since the snapshot; nothing was written.</exception>
    /// <exception cref="ValidationException">
    /// A family's validator refused a value the commit would leave (a merge's result: puts are
    /// judged when <see cref="Put(ColumnFamilyHandle, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> is called, and that refusal leaves the
    /// transaction active); nothing was written and the transaction is <see cref="TransactionState.RolledBack"/>.
    /// </exception>
    public void Commit() => Commit(null);

    /// <summary>Commits with <paramref name="options"/> (its <see cref="WriteOptions.Sync"/> replaces <see cref="TransactionOptions.Sync"/>); see <see cref="Commit()"/>.</summary>
    public abstract void Commit(WriteOptions? options);

    /// <summary>Discards every buffered write and releases the transaction's locks and snapshot.</summary>
    public abstract void Rollback();

    /// <summary>Rolls back unless already committed or rolled back.</summary>
    public void Dispose()
    {
        if (State == TransactionState.Active) Rollback();
    }
}
