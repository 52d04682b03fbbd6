using System.Buffers.Binary;

namespace LatticeKV.Ledger;

/// <summary>
/// Folds the transaction records sync writes into the replicated <c>ledger.tx</c> (writes made by
/// other replicas, applied here as ordinary writes) by following the database's change feed. Each
/// fold reads the record as it is now and goes through <see cref="LedgerFold"/> with the follower's
/// cursor in the same batch, so a crash never loses or repeats one; <see cref="CatchUp"/> runs at
/// open. Changes made here are skipped: local appends fold in their own batch. When the change log
/// no longer reaches back to the cursor, every record is folded again (a no-op for those already folded).
/// </summary>
internal sealed class LedgerFollower : IDisposable
{
    private const int Chunk = 512;

    private readonly LedgerFamilies _families;
    private readonly LedgerWriter _writer;
    private readonly Guid _self;
    private readonly object _followLock = new(); // serialises CatchUp and the background loop
    private readonly CancellationTokenSource _stop = new();
    private ulong _cursor; // guarded by _followLock: every change up to here is folded
    private Task? _loop;

    internal LedgerFollower(LedgerFamilies families, LedgerWriter writer)
    {
        _families = families;
        _writer = writer;
        _self = families.Db.ReplicaId;
        _cursor = families.Db.Get(families.Meta, LedgerKeys.CursorKey) is { } v
            ? v.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(v) : throw new CorruptionException("ledger change cursor is not 8 bytes")
            : 0;
    }

    /// <summary>Folds every change committed so far.</summary>
    internal void CatchUp()
    {
        lock (_followLock)
        {
            try
            {
                var pending = new List<Change>(Chunk);
                foreach (var change in _families.Db.GetChanges(new ChangeCursor(_cursor)))
                {
                    pending.Add(change);
                    if (pending.Count == Chunk) Apply(pending);
                }
                if (pending.Count > 0) Apply(pending);
            }
            catch (ChangeLogTruncatedException)
            {
                Reconcile();
            }
        }
    }

    /// <summary>Starts following new changes in the background.</summary>
    internal void Start() => _loop = Task.Run(FollowAsync);

    public void Dispose()
    {
        _stop.Cancel();
        try { _loop?.Wait(); }
        catch (AggregateException) { } // the loop ends by cancellation or by the database closing under it
        _stop.Dispose();
    }

    private async Task FollowAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                ulong from;
                lock (_followLock) from = _cursor;
                var pending = new List<Change>();
                await foreach (var change in _families.Db.WatchChangesAsync(new ChangeCursor(from), _stop.Token).ConfigureAwait(false))
                {
                    pending.Add(change);
                    // Remote changes are folded at once; runs of local ones only move the cursor now and then.
                    if (IsRemote(change) || pending.Count == Chunk)
                    {
                        lock (_followLock) Apply(pending);
                    }
                }
            }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (ChangeLogTruncatedException)
            {
                lock (_followLock) Reconcile();
            }
        }
    }

    private bool IsRemote(Change change)
        => change.Origin != _self && change.ColumnFamily == LedgerFamilies.TransactionsName && change.Operation == ChangeOperation.Put;

    /// <summary>Folds the remote changes of <paramref name="changes"/> newer than the cursor and stores the cursor after the last, in one batch; clears the list.</summary>
    private void Apply(List<Change> changes)
    {
        ulong last = changes[^1].Position;
        if (last <= _cursor)
        {
            changes.Clear();
            return;
        }
        _writer.Write(fold =>
        {
            foreach (var change in changes)
                if (change.Position > _cursor && IsRemote(change)) FoldCurrent(fold, change.Key);
            fold.SetCursor(last);
            return 0;
        });
        _cursor = last;
        changes.Clear();
    }

    /// <summary>Folds every stored record again, then continues from the log's present end.</summary>
    private void Reconcile()
    {
        ulong upTo = _families.Db.LatestSequenceNumber;
        var keys = new List<byte[]>(Chunk);
        using (var it = _families.Db.NewIterator(_families.Transactions))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                keys.Add(it.Key.ToArray());
                if (keys.Count == Chunk) FoldAll(keys, null);
            }
        }
        FoldAll(keys, upTo);
        _cursor = upTo;
    }

    private void FoldAll(List<byte[]> keys, ulong? cursor)
    {
        _writer.Write(fold =>
        {
            foreach (var key in keys) FoldCurrent(fold, key);
            if (cursor is { } c) fold.SetCursor(c);
            return 0;
        });
        keys.Clear();
    }

    /// <summary>Folds the record stored under <paramref name="key"/> now; one that cannot be read is left for VerifyBalances to report.</summary>
    private static void FoldCurrent(LedgerFold fold, byte[] key)
    {
        try
        {
            var id = LedgerKeys.ReadTexts(key, 2);
            if (fold.Record(id[0], id[1]) is { } stored && stored.Transaction.Chain == id[0] && stored.Transaction.TransactionId == id[1])
                fold.Fold(stored.Transaction, stored.Bytes);
        }
        catch (Exception ex) when (ex is CorruptionException or LedgerArgumentException)
        {
            // A malformed record from a peer must not stop the follower; it stays unfolded and is reported.
        }
    }
}
