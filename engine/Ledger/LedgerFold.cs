using System.Buffers.Binary;

namespace LatticeKV.Ledger;

/// <summary>
/// The one function every derived write goes through: a transaction record and this replica's
/// fold marker for it become the balance operands, index entries, Merkle leaf and new marker of one
/// write batch (FORMAT.md §22.1). Balance deltas are the record's contribution minus the marker's
/// (an orphaned record contributes nothing), so folding the same record twice changes nothing and
/// a record arriving from a local append and again through sync counts once. One instance builds
/// one batch under the ledger's write lock; it sees its own uncommitted records, markers and tips.
/// </summary>
internal sealed class LedgerFold(LedgerFamilies families, LedgerWriteState state)
{
    private readonly Dictionary<(string, string), FoldMarker?> _markers = [];
    private readonly Dictionary<(string, string), StoredRecord?> _records = [];
    private readonly Dictionary<string, long?> _tips = new(StringComparer.Ordinal);
    // Balances as this batch leaves them, so that a delta that would overflow is refused before it is written.
    private readonly Dictionary<(string, string, string), Int128> _balances = [];
    private ulong _nextArrival = state.NextArrival;
    private ulong? _cursor;

    internal WriteBatch Batch { get; } = new();

    internal LedgerFamilies Families => families;

    /// <summary>The stored record of a transaction, this batch's own first.</summary>
    internal StoredRecord? Record(string chain, string transactionId) => Record(chain, transactionId, null);

    /// <summary>As <see cref="Record(string, string)"/>, with the transaction's key when the caller has it already.</summary>
    internal StoredRecord? Record(string chain, string transactionId, byte[]? key)
    {
        if (_records.TryGetValue((chain, transactionId), out var record)) return record;
        var bytes = families.Db.Get(families.Transactions, key ?? LedgerKeys.Transaction(chain, transactionId));
        return bytes is null ? null : new StoredRecord(LedgerRecordCodec.Decode(bytes), bytes);
    }

    /// <summary>The fold marker of a transaction, this batch's own first.</summary>
    internal FoldMarker? Marker(string chain, string transactionId, byte[]? key = null)
    {
        if (_markers.TryGetValue((chain, transactionId), out var marker)) return marker;
        var bytes = families.Db.Get(families.Folded, key ?? LedgerKeys.Transaction(chain, transactionId));
        return bytes is null ? null : FoldMarker.Decode(bytes);
    }

    internal long? Tip(string chain) => _tips.TryGetValue(chain, out var tip) ? tip : state.Tip(chain);

    internal void SetTip(string chain, long? tip) => _tips[chain] = tip;

    /// <summary>Stores the follower's change-log position with this batch.</summary>
    internal void SetCursor(ulong position) => _cursor = position;

    /// <summary>Writes <paramref name="record"/> (canonical) as the transaction's stored record and folds it.</summary>
    internal void Store(LedgerTransaction record, byte[] bytes) => Store(record, bytes, LedgerKeys.Transaction(record.Chain, record.TransactionId), unfolded: false);

    /// <summary>
    /// As <see cref="Store(LedgerTransaction, byte[])"/>, under the transaction's <paramref name="key"/>;
    /// <paramref name="unfolded"/> says the caller knows the transaction has no fold marker (see <see cref="Fold(LedgerTransaction, byte[], byte[], bool)"/>).
    /// </summary>
    internal void Store(LedgerTransaction record, byte[] bytes, byte[] key, bool unfolded)
    {
        Batch.Put(families.Transactions, key, bytes);
        _records[(record.Chain, record.TransactionId)] = new StoredRecord(record, bytes);
        Fold(record, bytes, key, unfolded);
    }

    /// <summary>
    /// Folds <paramref name="record"/> (whose canonical bytes are <paramref name="bytes"/>) into the
    /// derived families; false when the marker says this very record is already folded.
    /// </summary>
    internal bool Fold(LedgerTransaction record, byte[] bytes) => Fold(record, bytes, LedgerKeys.Transaction(record.Chain, record.TransactionId), unfolded: false);

    /// <summary>
    /// As <see cref="Fold(LedgerTransaction, byte[])"/>, under the transaction's <paramref name="key"/>.
    /// With <paramref name="unfolded"/> the marker is not looked up: the caller knows there is none
    /// (a marker is only ever written with or after its record, so a transaction without a record
    /// has none, unless its record can be deleted behind the ledger, which only sync can do).
    /// </summary>
    internal bool Fold(LedgerTransaction record, byte[] bytes, byte[] key, bool unfolded)
    {
        var id = (record.Chain, record.TransactionId);
        var old = unfolded ? null : Marker(record.Chain, record.TransactionId, key);
        Span<byte> digest = stackalloc byte[32];
        LedgerRecordCodec.Digest(bytes, digest);
        if (old is not null && old.Digest.AsSpan().SequenceEqual(digest)) return false;
        ulong arrival = old?.Arrival ?? _nextArrival++;

        if (old is null)
        {
            if (record.Status.Counts) AddPostings(record.Chain, record.Postings);
        }
        else
        {
            var deltas = new Dictionary<(string Account, string Asset), Int128>();
            if (old.Folded.Status.Counts) LedgerAmounts.Contributions(old.Folded.Postings, -1, deltas);
            if (record.Status.Counts) LedgerAmounts.Contributions(record.Postings, +1, deltas);
            foreach (var ((account, asset), delta) in deltas) AddDelta(record.Chain, account, asset, delta);
        }

        // Deletions first: an entry that stays in place is put back by the puts after them.
        if (old is not null)
            foreach (var entry in IndexEntries(old.Folded, old.Place)) Batch.Delete(families.Index, entry);
        foreach (var entry in IndexEntries(record, FoldMarker.PlaceOf(record, arrival))) Batch.Put(families.Index, entry, []);

        long leaf = state.Merkle.Stage(Batch, bytes);
        Batch.Put(families.Folded, key, FoldMarker.Encode(arrival, leaf, digest, bytes, record.RawTransaction.Length));
        _markers[id] = new FoldMarker(arrival, leaf, digest.ToArray(), record);
        return true;
    }

    /// <summary>
    /// Adds a first fold's postings: summed per (account, asset) over runs of equal ones, as a
    /// canonical record sorts them (a record that is not sorted gives several deltas for one balance, which add up the same).
    /// </summary>
    private void AddPostings(string chain, IReadOnlyList<LedgerPosting> postings)
    {
        for (int i = 0; i < postings.Count;)
        {
            var first = postings[i];
            i = LedgerAmounts.SumRun(postings, i, out var sum);
            AddDelta(chain, first.Account, first.Asset, sum);
        }
    }

    private void AddDelta(string chain, string account, string asset, Int128 delta)
    {
        if (delta == Int128.Zero) return;
        var balanceKey = LedgerKeys.Balance(chain, account, asset);
        AddToBalance(chain, account, asset, delta, balanceKey);
        Batch.Merge(families.Balances, balanceKey, LedgerAmounts.Encode(delta));
    }

    /// <summary>
    /// Checks that the balance stays within <see cref="Int128"/> with <paramref name="delta"/> added:
    /// the merge operator could only fail on every later read of it. Balances change only under
    /// the ledger's write lock, so the stored value read here is the one the delta lands on.
    /// </summary>
    private void AddToBalance(string chain, string account, string asset, Int128 delta, byte[] balanceKey)
    {
        var id = (chain, account, asset);
        if (!_balances.TryGetValue(id, out var current) && !state.TryGetBalance(id, out current))
            current = families.Db.Get(families.Balances, balanceKey) is { } stored ? LedgerAmounts.Decode(stored) : Int128.Zero;
        Int128 sum = current + delta;
        if (((current ^ sum) & (delta ^ sum)) < 0)
            throw new LedgerArgumentException("A balance would leave the range of a 128-bit integer (the ledger's families may be encrypted: the account is not named).", "transaction");
        _balances[id] = sum;
    }

    /// <summary>The chain-order entry and one account-order entry per distinct account of a record placed at <paramref name="place"/>.</summary>
    internal static IEnumerable<byte[]> IndexEntries(LedgerTransaction record, (ulong Height, ulong Order) place)
    {
        yield return LedgerKeys.ChainEntry(record.Chain, place.Height, place.Order, record.TransactionId);
        string? previous = null;
        foreach (var posting in record.Postings) // sorted by account: duplicates are adjacent
        {
            if (posting.Account == previous) continue;
            previous = posting.Account;
            yield return LedgerKeys.AccountEntry(record.Chain, posting.Account, place.Height, place.Order, record.TransactionId);
        }
    }

    /// <summary>
    /// Writes the batch with the arrival counter, tips and cursor it changed, then commits its
    /// Merkle leaves and publishes its state; on failure the staged leaves are dropped and nothing is published.
    /// </summary>
    internal void Commit(WriteOptions options)
    {
        try
        {
            if (Batch.Count == 0 && _tips.Count == 0 && _cursor is null)
            {
                state.Merkle.Abort();
                return;
            }
            if (_nextArrival != state.NextArrival) Batch.Put(families.Meta, LedgerKeys.ArrivalKey, U64(_nextArrival));
            foreach (var (chain, tip) in _tips)
            {
                if (tip is { } t) Batch.Put(families.Meta, LedgerKeys.Tip(chain), U64((ulong)t));
                else Batch.Delete(families.Meta, LedgerKeys.Tip(chain));
            }
            if (_cursor is { } cursor) Batch.Put(families.Meta, LedgerKeys.CursorKey, U64(cursor));
            families.Db.Write(Batch, options);
        }
        catch
        {
            state.Merkle.Abort();
            throw;
        }
        state.Merkle.Commit();
        state.NextArrival = _nextArrival;
        foreach (var (chain, tip) in _tips) state.PublishTip(chain, tip);
        state.PublishBalances(_balances);
    }

    /// <summary>Drops what this fold staged (its batch is never written).</summary>
    internal void Abort() => state.Merkle.Abort();

    private static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }
}
