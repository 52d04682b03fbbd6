using System.Runtime.ExceptionServices;

namespace LatticeKV.Ledger;

/// <summary>
/// Every ledger write: appends, tips, reorganisations and the folding of records that arrived by
/// sync. Each is one write batch built by a <see cref="LedgerFold"/> under <see cref="_lock"/>, which
/// serialises the Merkle log's Stage..Commit so leaf indices follow commit order. Appends queue:
/// the thread that takes the lock writes every queued append in one batch (a failing one sends
/// the group back to one batch per append, so one bad transaction fails only its own caller).
/// </summary>
internal sealed class LedgerWriter(LedgerFamilies families, LedgerWriteState state, LedgerOptions options)
{
    private const int MaxGroup = 256;

    private readonly object _lock = new(); // the write lock: guards state and every fold
    private readonly Queue<AppendRequest> _queue = new(); // guarded by itself; lock order: _lock, then _queue
    private readonly WriteOptions _writeOptions = new() { Sync = options.SyncWrites };

    /// <summary>Appends <paramref name="transactions"/> in one batch, with whatever other appends are queued.</summary>
    internal void Append(IReadOnlyList<LedgerTransaction> transactions)
    {
        var canonical = new LedgerTransaction[transactions.Count];
        for (int i = 0; i < canonical.Length; i++) canonical[i] = LedgerRecordCodec.Canonical(transactions[i]);
        var request = new AppendRequest(canonical);
        lock (_queue) _queue.Enqueue(request);
        lock (_lock)
        {
            if (!request.Done) WriteQueued();
        }
        request.Error?.Throw();
    }

    /// <summary>Runs <paramref name="build"/> on a fresh fold under the write lock and commits it.</summary>
    internal T Write<T>(Func<LedgerFold, T> build)
    {
        lock (_lock)
        {
            var fold = new LedgerFold(families, state);
            try
            {
                T result = build(fold);
                fold.Commit(_writeOptions);
                return result;
            }
            catch
            {
                fold.Abort();
                throw;
            }
        }
    }

    /// <summary>Stores <paramref name="tx"/> (canonical) as its chain's rules say: new, unchanged, or updated.</summary>
    internal void AppendOne(LedgerFold fold, LedgerTransaction tx)
    {
        var incoming = LedgerStatusRules.Normalize(tx, fold.Tip(tx.Chain), options.FinalityDepth);
        var key = LedgerKeys.Transaction(tx.Chain, tx.TransactionId);
        var existing = fold.Record(tx.Chain, tx.TransactionId, key);
        if (existing is null)
        {
            // No record, so no marker either, unless sync can delete records (a replicated ledger.tx): then the marker is looked up.
            fold.Store(incoming, LedgerRecordCodec.Encode(incoming), key, unfolded: !families.Replicated);
            return;
        }
        if (!LedgerStatusRules.SameContent(existing.Transaction, incoming)) throw new LedgerConflictException(tx.Chain, tx.TransactionId);
        var kept = LedgerStatusRules.Normalize(LedgerStatusRules.Resolve(existing.Transaction, incoming), fold.Tip(tx.Chain), options.FinalityDepth);
        var bytes = LedgerRecordCodec.Encode(kept);
        // Unchanged: still folded, in case the stored record came by sync and the follower is behind.
        if (bytes.AsSpan().SequenceEqual(existing.Bytes)) fold.Fold(existing.Transaction, existing.Bytes, key, unfolded: false);
        else fold.Store(kept, bytes, key, unfolded: false);
    }

    private void WriteQueued()
    {
        var group = new List<AppendRequest>();
        lock (_queue)
            while (group.Count < MaxGroup && _queue.TryDequeue(out var next)) group.Add(next);
        if (group.Count == 0) return;
        try
        {
            Write(fold =>
            {
                foreach (var request in group)
                    foreach (var tx in request.Transactions) AppendOne(fold, tx);
                return 0;
            });
            foreach (var request in group) request.Done = true;
        }
        catch (Exception) when (group.Count > 1)
        {
            foreach (var request in group) WriteAlone(request);
        }
        catch (Exception ex)
        {
            group[0].Error = ExceptionDispatchInfo.Capture(ex);
            group[0].Done = true;
        }
    }

    private void WriteAlone(AppendRequest request)
    {
        try
        {
            Write(fold =>
            {
                foreach (var tx in request.Transactions) AppendOne(fold, tx);
                return 0;
            });
        }
        catch (Exception ex)
        {
            request.Error = ExceptionDispatchInfo.Capture(ex);
        }
        request.Done = true;
    }

    /// <summary>An append waiting in the queue; its fields are written and read under the write lock.</summary>
    private sealed class AppendRequest(LedgerTransaction[] transactions)
    {
        public LedgerTransaction[] Transactions { get; } = transactions;

        public bool Done { get; set; }

        public ExceptionDispatchInfo? Error { get; set; }
    }
}
