using System.Buffers;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV;

/// <summary>
/// A cursor over one column family in key order, as of one point in time (the snapshot in its
/// <see cref="ReadOptions"/>, or the moment it was created). Writes made after that are not
/// seen. Not thread-safe. Dispose it: it keeps the tables it reads from alive.
/// </summary>
/// <example>
/// <code>
/// using var it = db.NewIterator();
/// for (it.SeekToFirst(); it.Valid; it.Next())
///     Console.WriteLine($"{Encoding.UTF8.GetString(it.Key)} = {Encoding.UTF8.GetString(it.Value)}");
/// </code>
/// </example>
public sealed class LatticeIterator : IDisposable
{
    private readonly LatticeDb _db;
    private readonly uint _stepSampleMask; // moves timed into the latency histogram: one in mask + 1 of this iterator's
    private uint _steps;
    private readonly InternalIterator _iter;
    private readonly SuperVersion _superVersion;
    private readonly IteratorParts _parts;
    private readonly bool _poolable;
    private readonly InternalKeyComparator _cmp;
    private readonly ValuePolicy? _policy;
    private readonly FragmentedRangeTombstones _rangeDels;
    private readonly ulong _sequence;
    private readonly byte[]? _lower;
    private readonly byte[]? _upper;
    private byte[] _savedKey;
    private int _savedKeyLength;
    private byte[] _savedValue;
    private int _savedValueLength;
    private byte[] _lookup;
    private bool _reverse;
    private bool _valid;
    private bool _disposed;
    private byte[]? _scopeBuffer; // where scoped values are opened
    // Merging: the family (for its operator and for errors), a key's operands, the merge result.
    private readonly ColumnFamilyData _family;
    private MergeOperandList? _operands;
    private ArrayBufferWriter<byte>? _mergeOutput;
    // Forward, at a merged key: its key and value are saved, and the inner iterator is already past its operands.
    private bool _mergedForward;

    private LatticeIterator(LatticeDb db, IteratorParts parts, SuperVersion sv, ColumnFamilyData cfd,
        FragmentedRangeTombstones rangeDels, ulong sequence, ReadOptions options, bool poolable)
    {
        _db = db;
        _stepSampleMask = db.Metrics.StepSampleMask;
        _family = cfd;
        _parts = parts;
        _iter = parts.Merged;
        _savedKey = parts.SavedKey;
        _savedValue = parts.SavedValue;
        _lookup = parts.Lookup;
        _poolable = poolable;
        _superVersion = sv;
        _cmp = cfd.Comparator;
        _policy = cfd.Policy.IsNoop ? null : cfd.Policy;
        _rangeDels = rangeDels;
        _sequence = sequence;
        _lower = options.IterateLowerBound?.ToArray();
        _upper = options.IterateUpperBound?.ToArray();
    }

    internal static LatticeIterator Create(LatticeDb db, ColumnFamilyData cfd, SuperVersion sv, ulong sequence, ReadOptions options)
    {
        // Pooled internals were built without range tombstones; the memtable may have some since.
        if (sv.Mem.RangeTombstoneCount == 0 && sv.TakePooledIterator(options.FillCache) is { } pooled)
        {
            try
            {
                pooled.Merged.ReplaceChild(IteratorParts.MutableMemTableChild, sv.Mem.NewIterator());
            }
            catch
            {
                pooled.Dispose();
                throw;
            }
            db.Statistics.RecordIterator(reused: true);
            return new LatticeIterator(db, pooled, sv, cfd, FragmentedRangeTombstones.Empty, sequence, options, poolable: true);
        }
        var version = sv.Version;
        var levelZero = version.Files(0);
        var rangeDeletionFiles = version.RangeDeletionFiles;
        var children = new List<InternalIterator>(1 + sv.Imm.Length + levelZero.Count + version.NumLevels);
        var leases = new List<TableLease>(levelZero.Count + rangeDeletionFiles.Length);
        // Most iterators see no range tombstone at all: collect them only when there are some.
        List<RangeTombstone>? tombstones = null;
        try
        {
            children.Add(sv.Mem.NewIterator());   // IteratorParts.MutableMemTableChild
            if (sv.Mem.RangeTombstoneCount > 0) (tombstones ??= []).AddRange(sv.Mem.RawRangeTombstones());
            foreach (var imm in sv.Imm)
            {
                children.Add(imm.NewIterator());
                if (imm.RangeTombstoneCount > 0) (tombstones ??= []).AddRange(imm.RawRangeTombstones());
            }
            foreach (var f in levelZero)
            {
                var lease = db.Tables.Acquire(f.Number);
                leases.Add(lease);
                children.Add(lease.Reader.NewIterator(options.FillCache));
            }
            for (int level = 1; level < version.NumLevels; level++)
            {
                var files = version.Files(level);
                if (files.Count > 0) children.Add(new Manifest.LevelIterator(db.Tables, cfd.Comparator, files, options.FillCache));
            }
            foreach (var f in rangeDeletionFiles)
            {
                var lease = db.Tables.Acquire(f.Number);
                leases.Add(lease);
                (tombstones ??= []).AddRange(lease.Reader.RangeTombstones.AsTombstones());
            }
            var fragments = tombstones is null ? FragmentedRangeTombstones.Empty : FragmentedRangeTombstones.Build(tombstones, cfd.Comparator, sequence);
            var parts = new IteratorParts(new MergingIterator(cfd.Comparator, children), leases, options.FillCache);
            db.Statistics.RecordIterator(reused: false);
            // Fragments depend on the snapshot (they may be empty only because every tombstone is
            // newer than it): internals that had tombstones to consider are never handed on.
            return new LatticeIterator(db, parts, sv, cfd, fragments, sequence, options, poolable: tombstones is null);
        }
        catch
        {
            foreach (var c in children) c.Dispose();
            foreach (var l in leases) l.Dispose();
            throw;
        }
    }

    /// <summary>True when the iterator is positioned at an entry.</summary>
    public bool Valid
    {
        get
        {
            CheckUsable();
            return _valid;
        }
    }

    /// <summary>The current key. Valid until the iterator moves.</summary>
    public ReadOnlySpan<byte> Key
    {
        get
        {
            CheckPositioned();
            return _reverse || _mergedForward ? _savedKey.AsSpan(0, _savedKeyLength) : InternalKey.UserKey(_iter.Key);
        }
    }

    /// <summary>The current value. Valid until the iterator moves.</summary>
    public ReadOnlySpan<byte> Value
    {
        get
        {
            CheckPositioned();
            if (_reverse || _mergedForward) return _savedValue.AsSpan(0, _savedValueLength);
            return _policy is null ? ValuePolicy.UserValue(InternalKey.Kind(_iter.Key), _iter.Value)
                : _policy.Reveal(InternalKey.Kind(_iter.Key), InternalKey.UserKey(_iter.Key), _iter.Value, ref _scopeBuffer);
        }
    }

    /// <summary>Positions at the first key (at or after the lower bound, if set).</summary>
    public void SeekToFirst()
    {
        long started = _db.Metrics.Start();
        SeekToFirstCore();
        _db.StopTimer(started, OperationKind.Seek, _family, default);
    }

    private void SeekToFirstCore()
    {
        CheckUsable();
        _reverse = false;
        if (_lower is not null) _iter.Seek(LookupKey(_lower, _sequence, ValueKinds.ForSeek));
        else _iter.SeekToFirst();
        FindNextUserEntry(skipping: false);
    }

    /// <summary>Positions at the last key (before the upper bound, if set).</summary>
    public void SeekToLast()
    {
        long started = _db.Metrics.Start();
        SeekToLastCore();
        _db.StopTimer(started, OperationKind.Seek, _family, default);
    }

    private void SeekToLastCore()
    {
        CheckUsable();
        _reverse = true;
        if (_upper is not null) _iter.SeekForPrev(LookupKey(_upper, InternalKey.MaxSequence, ValueKinds.ForSeek));
        else _iter.SeekToLast();
        if (_iter.Valid && _upper is not null && _cmp.CompareUser(InternalKey.UserKey(_iter.Key), _upper) >= 0) _iter.Prev();
        FindPrevUserEntry();
    }

    /// <summary>Positions at the first key at or after <paramref name="target"/>.</summary>
    public void Seek(ReadOnlySpan<byte> target)
    {
        long started = _db.Metrics.Start();
        SeekCore(target);
        _db.StopTimer(started, OperationKind.Seek, _family, target);
    }

    private void SeekCore(ReadOnlySpan<byte> target)
    {
        CheckUsable();
        _reverse = false;
        if (_lower is not null && _cmp.CompareUser(target, _lower) < 0) target = _lower;
        _db.OnReadForPrefetch(_family, _superVersion, target);
        _iter.Seek(LookupKey(target, _sequence, ValueKinds.ForSeek));
        FindNextUserEntry(skipping: false);
    }

    /// <summary>Positions at the last key at or before <paramref name="target"/>.</summary>
    public void SeekForPrev(ReadOnlySpan<byte> target)
    {
        long started = _db.Metrics.Start();
        SeekForPrevCore(target);
        _db.StopTimer(started, OperationKind.Seek, _family, target);
    }

    private void SeekForPrevCore(ReadOnlySpan<byte> target)
    {
        CheckUsable();
        _reverse = true;
        if (_upper is not null && _cmp.CompareUser(target, _upper) >= 0)
        {
            SeekToLastCore();
            return;
        }
        // (target, 0, Deletion) is the largest internal key of the user key.
        _iter.SeekForPrev(LookupKey(target, 0, ValueKind.Deletion));
        FindPrevUserEntry();
    }

    /// <summary>Moves to the next key. Requires <see cref="Valid"/>.</summary>
    public void Next()
    {
        long started;
        if (_db.Metrics.TimesEveryOperation) started = _db.Metrics.Start();
        else if ((++_steps & _stepSampleMask) == 0) started = _db.Metrics.StartStep();
        else
        {
            NextCore();
            return;
        }
        NextCore();
        _db.StopTimer(started, OperationKind.Next, _family, default);
    }

    private void NextCore()
    {
        CheckPositioned();
        if (_reverse)
        {
            // The inner iterator sits just before the entries of the current key: step into them.
            _reverse = false;
            if (!_iter.Valid) _iter.SeekToFirst();
            else _iter.Next();
            if (!_iter.Valid)
            {
                _valid = false;
                return;
            }
        }
        else if (!_mergedForward)
        {
            SaveKey(InternalKey.UserKey(_iter.Key));
            _iter.Next();
        }
        FindNextUserEntry(skipping: true);
    }

    /// <summary>Moves to the previous key. Requires <see cref="Valid"/>.</summary>
    public void Prev()
    {
        long started;
        if (_db.Metrics.TimesEveryOperation) started = _db.Metrics.Start();
        else if ((++_steps & _stepSampleMask) == 0) started = _db.Metrics.StartStep();
        else
        {
            PrevCore();
            return;
        }
        PrevCore();
        _db.StopTimer(started, OperationKind.Next, _family, default);
    }

    private void PrevCore()
    {
        CheckPositioned();
        if (!_reverse)
        {
            // A merged key left the inner iterator past its entries: return to the first of them.
            if (_mergedForward) _iter.Seek(LookupKey(_savedKey.AsSpan(0, _savedKeyLength), InternalKey.MaxSequence, ValueKinds.ForSeek));
            _mergedForward = false;
            // Step back past every entry of the current key so reverse scanning starts cleanly.
            SaveKey(InternalKey.UserKey(_iter.Key));
            while (true)
            {
                _iter.Prev();
                if (!_iter.Valid)
                {
                    _valid = false;
                    _savedKeyLength = 0;
                    _savedValueLength = 0;
                    return;
                }
                if (_cmp.CompareUser(InternalKey.UserKey(_iter.Key), _savedKey.AsSpan(0, _savedKeyLength)) < 0) break;
            }
            _reverse = true;
        }
        FindPrevUserEntry();
    }

    private void FindNextUserEntry(bool skipping)
    {
        _mergedForward = false;
        while (_iter.Valid)
        {
            var ikey = _iter.Key;
            if (!InternalKey.IsWellFormed(ikey)) throw new CorruptionException("malformed internal key");
            ulong trailer = InternalKey.Trailer(ikey);
            ulong seq = trailer >> 8;
            if (seq > _sequence)
            {
                _iter.Next();
                continue;
            }
            var user = InternalKey.UserKey(ikey);
            if (_upper is not null && _cmp.CompareUser(user, _upper) >= 0) break;
            var kind = (ValueKind)(byte)trailer;
            if (kind == ValueKind.Deletion)
            {
                SaveKey(user);
                skipping = true;
                _iter.Next();
                continue;
            }
            if (skipping && _cmp.CompareUser(user, _savedKey.AsSpan(0, _savedKeyLength)) <= 0)
            {
                _iter.Next();
                continue;
            }
            if (IsHidden(kind, user, seq, _iter.Value))
            {
                SaveKey(user);
                skipping = true;
                _iter.Next();
                continue;
            }
            if (kind == ValueKind.Merge)
            {
                // Leaves the inner iterator on the first entry after the key's operands.
                _mergedForward = MergeForward(seq);
                if (_mergedForward) break;
                skipping = true;
                continue;
            }
            _valid = true;
            return;
        }
        _valid = _mergedForward;
    }

    /// <summary>
    /// At the newest visible entry of a key, an operand: takes the operands under it down to a
    /// value, a deletion or the key's end and saves the key and the merged value. False when the
    /// result is one the family's policy hides.
    /// </summary>
    private bool MergeForward(ulong seq)
    {
        SaveKey(InternalKey.UserKey(_iter.Key));
        var user = _savedKey.AsSpan(0, _savedKeyLength);
        var op = _family.Policy.MergeOperator ?? throw MergeFailure.NoOperator(_family, user);
        var operands = _operands ??= new MergeOperandList();
        operands.Clear();
        operands.Add(_iter.Value, seq);
        bool hasBase = false;
        ReadOnlySpan<byte> baseValue = default;
        for (_iter.Next(); _iter.Valid; _iter.Next())
        {
            var ikey = _iter.Key;
            if (!InternalKey.IsWellFormed(ikey)) throw new CorruptionException("malformed internal key");
            if (_cmp.CompareUser(InternalKey.UserKey(ikey), user) != 0) break;
            // Older entries of the key than the first visible one are all visible.
            seq = InternalKey.Sequence(ikey);
            var kind = InternalKey.Kind(ikey);
            if (CoveredByRangeDeletion(user, seq)) break;
            if (kind == ValueKind.Merge)
            {
                operands.Add(_iter.Value, seq);
                continue;
            }
            if (ValueKinds.IsPointValue(kind) && (_policy is null || !_policy.IsDead(kind, user, _iter.Value)))
            {
                hasBase = true;
                baseValue = _policy is null ? ValuePolicy.UserValue(kind, _iter.Value) : _policy.Reveal(kind, user, _iter.Value, ref _scopeBuffer);
            }
            break;
        }
        return Merge(op, user, baseValue, hasBase, operands.View(newestFirst: true));
    }

    /// <summary>Merges into the saved value; false when the family's policy hides the result.</summary>
    private bool Merge(IMergeOperator op, ReadOnlySpan<byte> user, ReadOnlySpan<byte> baseValue, bool hasBase, MergeOperands operands)
    {
        var output = _mergeOutput ??= new ArrayBufferWriter<byte>();
        if (!MergeRunner.TryFullMerge(op, user, baseValue, hasBase, operands, output, out var error))
            throw MergeFailure.Failed(_family, user, error!);
        if (_policy is not null && _policy.IsDead(ValueKind.Value, user, output.WrittenSpan)) return false;
        SaveValue(output.WrittenSpan);
        return true;
    }

    private void FindPrevUserEntry()
    {
        _mergedForward = false;
        while (true)
        {
            // Going backward a key's entries come oldest first: a value or deletion resets what
            // the key has, each operand is queued on top of it.
            bool haveValue = false, hasBase = false;
            _operands?.Clear();
            for (; _iter.Valid; _iter.Prev())
            {
                var ikey = _iter.Key;
                if (!InternalKey.IsWellFormed(ikey)) throw new CorruptionException("malformed internal key");
                ulong trailer = InternalKey.Trailer(ikey);
                ulong seq = trailer >> 8;
                if (seq > _sequence) continue;
                var user = InternalKey.UserKey(ikey);
                // One comparison an entry: the saved key passed the lower bound, so an entry of
                // the same key does too, and one before it ends this key either way (the next
                // call checks it against the bound).
                if (haveValue)
                {
                    if (_cmp.CompareUser(user, _savedKey.AsSpan(0, _savedKeyLength)) < 0) break;
                }
                else if (_lower is not null && _cmp.CompareUser(user, _lower) < 0) break;
                var kind = (ValueKind)(byte)trailer;
                if (kind == ValueKind.Deletion || IsHidden(kind, user, seq, _iter.Value))
                {
                    haveValue = hasBase = false;
                    _operands?.Clear();
                    _savedKeyLength = 0;
                    _savedValueLength = 0;
                }
                else if (kind == ValueKind.Merge)
                {
                    if (!haveValue) SaveKey(user);
                    (_operands ??= new MergeOperandList()).Add(_iter.Value, seq);
                    haveValue = true;
                }
                else
                {
                    SaveKey(user);
                    SaveValue(_policy is null ? ValuePolicy.UserValue(kind, _iter.Value) : _policy.Reveal(kind, user, _iter.Value, ref _scopeBuffer));
                    _operands?.Clear();
                    haveValue = hasBase = true;
                }
            }
            if (!haveValue)
            {
                _valid = false;
                _savedKeyLength = 0;
                _savedValueLength = 0;
                _reverse = false;
                return;
            }
            if (_operands is not { Count: > 0 } operands) break;
            var key = _savedKey.AsSpan(0, _savedKeyLength);
            var op = _family.Policy.MergeOperator ?? throw MergeFailure.NoOperator(_family, key);
            // The base is read from the saved value before the result replaces it.
            if (Merge(op, key, _savedValue.AsSpan(0, hasBase ? _savedValueLength : 0), hasBase, operands.View(newestFirst: false))) break;
            // Hidden by the policy: the inner iterator already sits on the previous key.
        }
        _valid = true;
    }

    /// <summary>Hidden by a range tombstone or (a value, not an operand) by the family's policy.</summary>
    private bool IsHidden(ValueKind kind, ReadOnlySpan<byte> user, ulong seq, ReadOnlySpan<byte> stored)
    {
        if (CoveredByRangeDeletion(user, seq)) return true;
        return kind != ValueKind.Merge && _policy is not null && _policy.IsDead(kind, user, stored);
    }

    private bool CoveredByRangeDeletion(ReadOnlySpan<byte> user, ulong seq)
        => !_rangeDels.IsEmpty && _rangeDels.MaxCoveringSequence(user, _sequence) > seq;

    private ReadOnlySpan<byte> LookupKey(ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind)
    {
        int length = userKey.Length + InternalKey.TrailerSize;
        if (_lookup.Length < length) _lookup = new byte[Math.Max(length, _lookup.Length * 2)];
        InternalKey.Encode(_lookup, userKey, sequence, kind);
        return _lookup.AsSpan(0, length);
    }

    private void SaveKey(ReadOnlySpan<byte> key)
    {
        if (_savedKey.Length < key.Length) _savedKey = new byte[Math.Max(key.Length, _savedKey.Length * 2)];
        key.CopyTo(_savedKey);
        _savedKeyLength = key.Length;
    }

    private void SaveValue(ReadOnlySpan<byte> value)
    {
        if (_savedValue.Length < value.Length) _savedValue = new byte[Math.Max(value.Length, _savedValue.Length * 2)];
        value.CopyTo(_savedValue);
        _savedValueLength = value.Length;
    }

    private void CheckUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _db.ThrowIfClosed();
    }

    private void CheckPositioned()
    {
        CheckUsable();
        if (!_valid) throw new InvalidOperationException("The iterator is not positioned at an entry (Valid is false).");
    }

    /// <summary>Releases the tables and memtables this iterator holds.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _operands?.Dispose();
        _parts.SavedKey = _savedKey;
        _parts.SavedValue = _savedValue;
        _parts.Lookup = _lookup;
        if (!_poolable || !_superVersion.TryPoolIterator(_parts)) _parts.Dispose();
        _superVersion.Release();
    }
}
