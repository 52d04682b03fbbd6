using LatticeKV.Db;

namespace LatticeKV.Transactions;

/// <summary>
/// The transaction behind <see cref="Transaction"/>: a <see cref="WriteBuffer"/> of its writes,
/// and either a snapshot with a <see cref="ReadSet"/> checked at commit (optimistic) or the
/// locks it holds in the database's <see cref="LockTable"/> (pessimistic). Used by one thread at
/// a time (the caller's), so its fields need no lock.
/// </summary>
/// <remarks>
/// An optimistic commit also locks the keys it writes, for the time of the commit: a pessimistic
/// transaction may have read one of them under its lock and be about to write it from that
/// value, and the commit check alone would let the optimistic write land in between and be lost.
/// Waiting for the lock makes the optimistic commit come after the pessimistic one, whose
/// write its check then sees (a conflict), or before it, whose read then sees it.
/// </remarks>
internal sealed class DbTransaction : Transaction
{
    private static long s_lastId;

    // Constant after construction.
    private readonly long _id;                  // the owner id in the lock table
    private readonly TransactionOptions _options;
    private readonly Snapshot? _snapshot;       // optimistic: what every read sees
    private readonly ReadOptions? _readOptions; // optimistic: reads at _snapshot; pessimistic: null (latest)
    private readonly ReadSet? _reads;           // optimistic
    private readonly LockTable _locks;
    private readonly bool _pessimistic;

    // Owned by the thread using the transaction.
    private readonly WriteBuffer _writes = new();
    private readonly List<(uint ColumnFamily, byte[] Key)> _held = [];
    private TransactionState _state;

    public DbTransaction(LatticeDb db, TransactionOptions options) : base(db)
    {
        _id = Interlocked.Increment(ref s_lastId);
        _options = options;
        _locks = LockTable.For(db);
        _pessimistic = options.Pessimistic;
        if (_pessimistic) return;
        _snapshot = db.GetSnapshot();
        _readOptions = new ReadOptions { Snapshot = _snapshot };
        _reads = new ReadSet();
    }

    public override TransactionState State => _state;

    public override bool IsPessimistic => _pessimistic;

    public override byte[]? Get(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        CheckOperation(columnFamily, key);
        return Read(columnFamily, key);
    }

    public override byte[]? GetForUpdate(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        CheckOperation(columnFamily, key);
        Lock(columnFamily, key);
        return Read(columnFamily, key);
    }

    public override void Put(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        CheckOperation(columnFamily, key);
        if (value.Length > WriteBatch.MaxValueSize)
            throw new InvalidArgumentException($"Value of {value.Length} bytes exceeds the limit of {WriteBatch.MaxValueSize} bytes.", nameof(value));
        // Early, so the caller can correct it with the transaction still active; the commit checks again.
        Integrity.FamilyValidation.Check(columnFamily.Data, key, value);
        Lock(columnFamily, key);
        _writes.GetOrAdd(columnFamily, key).SetPut(value);
    }

    public override void Delete(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        CheckOperation(columnFamily, key);
        Lock(columnFamily, key);
        _writes.GetOrAdd(columnFamily, key).SetDelete();
    }

    public override void Merge(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key, ReadOnlySpan<byte> operand)
    {
        CheckOperation(columnFamily, key);
        MergeValidation.CheckOperand(columnFamily.Data, operand);
        Lock(columnFamily, key);
        _writes.GetOrAdd(columnFamily, key).AddOperand(operand);
    }

    public override TransactionIterator NewIterator(ColumnFamilyHandle columnFamily, ReadOptions? options = null)
    {
        ThrowIfEnded();
        Database.CheckColumnFamily(columnFamily);
        if (options?.Snapshot is not null)
            throw new InvalidArgumentException("A transaction's iterator reads at the transaction's snapshot; ReadOptions.Snapshot must be null.", nameof(options));
        var baseOptions = new ReadOptions
        {
            Snapshot = _snapshot,
            FillCache = options?.FillCache ?? true,
            IterateLowerBound = options?.IterateLowerBound?.ToArray(),
            IterateUpperBound = options?.IterateUpperBound?.ToArray(),
        };
        var (keys, writes) = _writes.CopyOf(columnFamily);
        var inner = Database.NewIterator(columnFamily, baseOptions);
        var reads = _reads;
        return new OverlayIterator(this, inner, columnFamily.Data, keys, writes,
            baseOptions.IterateLowerBound, baseOptions.IterateUpperBound, reads is null ? null : range => reads.AddRange(columnFamily, range));
    }

    public override void Commit(WriteOptions? options)
    {
        ThrowIfEnded();
        try
        {
            if (!_writes.IsEmpty)
            {
                var batch = new WriteBatch();
                _writes.AppendTo(batch);
                ICommitCheck? check = null;
                if (!_pessimistic)
                {
                    foreach (var family in _writes.Families)
                        foreach (var key in family.SortedKeys()) TakeLock(family.Handle, key);
                    check = new OptimisticCommitCheck(Database, _snapshot!.SequenceNumber, _reads!, _writes);
                }
                long started = Database.Metrics.Start();
                Database.WriteChecked(batch, options ?? new WriteOptions { Sync = _options.Sync }, check);
                Database.StopTimer(started, OperationKind.TransactionCommit, null, default);
            }
        }
        catch
        {
            End(TransactionState.RolledBack);
            throw;
        }
        End(TransactionState.Committed);
    }

    public override void Rollback()
    {
        ThrowIfEnded();
        End(TransactionState.RolledBack);
    }

    /// <summary>Throws <see cref="TransactionNotActiveException"/> once the transaction has ended.</summary>
    internal void ThrowIfEnded()
    {
        if (_state != TransactionState.Active)
            throw new TransactionNotActiveException(_state == TransactionState.Committed ? "committed" : "rolled back");
    }

    private void CheckOperation(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        ThrowIfEnded();
        Database.CheckColumnFamily(columnFamily);
        WriteBatch.ValidateKey(key, nameof(key));
    }

    /// <summary>The key's value: the transaction's own write if it decides it, else the database's (a read to check at commit), with the transaction's merge operands applied.</summary>
    private byte[]? Read(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        var pending = _writes.Find(columnFamily, key);
        if (pending is { Operands: null })
            return pending.Kind == PendingKind.Put ? (byte[])pending.Value!.Clone() : null;
        byte[]? stored = null;
        if (pending is null or { Kind: PendingKind.None })
        {
            _reads?.AddKey(columnFamily, key);
            stored = Database.Get(columnFamily, key, _readOptions);
        }
        return pending is null ? stored : pending.Merged(columnFamily.Data, key, stored, stored is not null);
    }

    /// <summary>Pessimistic: locks the key until the transaction ends.</summary>
    private void Lock(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        if (_pessimistic) TakeLock(columnFamily, key.ToArray());
    }

    private void TakeLock(ColumnFamilyHandle columnFamily, byte[] key)
    {
        if (_locks.Acquire(_id, columnFamily, key, _options.LockTimeout)) _held.Add((columnFamily.Id, key));
    }

    private void End(TransactionState state)
    {
        _state = state;
        _snapshot?.Dispose();
        _locks.ReleaseAll(_id, _held);
        _held.Clear();
    }
}
