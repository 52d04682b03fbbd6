using LatticeKV.Db;
using LatticeKV.Keys;

namespace LatticeKV.Transactions;

/// <summary>
/// A transaction's iterator: its own writes (a sorted copy taken when the iterator was made)
/// laid over an iterator of the database. Where both hold a key the transaction's write wins;
/// its deletions hide the database's key; its merge operands apply over the put or deletion before
/// them, else over the database's value. For an optimistic transaction it records the keys it
/// goes over as a <see cref="KeyRange"/> per seek, grown by every step from the seek target
/// (or bound) to where the cursor stopped, so a key inserted there later is a conflict.
/// </summary>
internal sealed class OverlayIterator : TransactionIterator
{
    private readonly DbTransaction _transaction;
    private readonly LatticeIterator _inner;
    private readonly ColumnFamilyData _family;
    private readonly InternalKeyComparator _cmp;
    private readonly byte[][] _keys;          // own writes within the bounds, in key order
    private readonly PendingWrite[] _writes;
    private readonly byte[]? _lower;
    private readonly byte[]? _upper;
    private readonly Action<KeyRange>? _track;
    private KeyRange? _range;                  // what the cursor has gone over since the last seek
    private bool _forward = true;
    // Forward: the first own write at or after the position; reverse: the last at or before it.
    private int _own;
    private bool _fromOwn;                     // the current entry is an own write
    private bool _ownOverInner;                // ... and the database has the key too (the base of its merge operands)
    private byte[]? _merged;                   // the current own write's operands applied, once asked for
    private bool _valid;
    private bool _disposed;

    public OverlayIterator(DbTransaction transaction, LatticeIterator inner, ColumnFamilyData family, byte[][] keys, PendingWrite[] writes,
        byte[]? lower, byte[]? upper, Action<KeyRange>? track)
    {
        _transaction = transaction;
        _inner = inner;
        _family = family;
        var cmp = _cmp = family.Comparator;
        _lower = lower;
        _upper = upper;
        _track = track;
        int first = 0, end = keys.Length;
        while (first < end && lower is not null && cmp.CompareUser(keys[first], lower) < 0) first++;
        while (end > first && upper is not null && cmp.CompareUser(keys[end - 1], upper) >= 0) end--;
        _keys = keys[first..end];
        _writes = writes[first..end];
    }

    public override bool Valid
    {
        get
        {
            CheckUsable();
            return _valid;
        }
    }

    public override ReadOnlySpan<byte> Key
    {
        get
        {
            CheckPositioned();
            return _fromOwn ? _keys[_own] : _inner.Key;
        }
    }

    public override ReadOnlySpan<byte> Value
    {
        get
        {
            CheckPositioned();
            if (!_fromOwn) return _inner.Value;
            var write = _writes[_own];
            if (write.Operands is null) return write.Value;
            return _merged ??= write.Merged(_family, _keys[_own], _ownOverInner ? _inner.Value : default, _ownOverInner);
        }
    }

    public override void SeekToFirst()
    {
        CheckUsable();
        _forward = true;
        _inner.SeekToFirst();
        _own = 0;
        Settle();
        StartRange(_lower, forward: true);
    }

    public override void SeekToLast()
    {
        CheckUsable();
        _forward = false;
        _inner.SeekToLast();
        _own = _keys.Length - 1;
        Settle();
        StartRange(_upper, forward: false);
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        CheckUsable();
        if (_lower is not null && _cmp.CompareUser(target, _lower) < 0) target = _lower;
        SeekCore(target);
        StartRange(target.ToArray(), forward: true);
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        CheckUsable();
        if (_upper is not null && _cmp.CompareUser(target, _upper) >= 0)
        {
            SeekToLast();
            return;
        }
        SeekForPrevCore(target);
        StartRange(target.ToArray(), forward: false, inclusive: true);
    }

    public override void Next()
    {
        CheckPositioned();
        if (!_forward)
        {
            // Turn around: position forward at the current key, then step past it.
            SeekCore(Key.ToArray());
        }
        Step();
        if (_range is null) return;
        if (!_valid)
        {
            _range.High = _upper;
            _range.HighInclusive = false;
        }
        else if (_range.High is not null && _cmp.CompareUser(Key, _range.High) > 0)
        {
            _range.High = Key.ToArray();
            _range.HighInclusive = true;
        }
    }

    public override void Prev()
    {
        CheckPositioned();
        if (_forward) SeekForPrevCore(Key.ToArray());
        Step();
        if (_range is null) return;
        if (!_valid) _range.Low = _lower;
        else if (_range.Low is not null && _cmp.CompareUser(Key, _range.Low) < 0) _range.Low = Key.ToArray();
    }

    public override void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _inner.Dispose();
    }

    private void SeekCore(ReadOnlySpan<byte> target)
    {
        _forward = true;
        _inner.Seek(target);
        _own = LowerBound(target);
        Settle();
    }

    private void SeekForPrevCore(ReadOnlySpan<byte> target)
    {
        _forward = false;
        _inner.SeekForPrev(target);
        _own = LowerBound(target);
        if (_own == _keys.Length || _cmp.CompareUser(_keys[_own], target) != 0) _own--;
        Settle();
    }

    /// <summary>The index of the first own write at or after <paramref name="target"/>.</summary>
    private int LowerBound(ReadOnlySpan<byte> target)
    {
        int lo = 0, hi = _keys.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_cmp.CompareUser(_keys[mid], target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Moves in the direction of travel to the first visible entry: an own write at or before
    /// (forward; at or after, reverse) the database's next key wins; own deletions are skipped
    /// with the key they hide.
    /// </summary>
    private void Settle()
    {
        _merged = null;
        while (true)
        {
            if (_own < 0 || _own >= _keys.Length)
            {
                _fromOwn = false;
                _valid = _inner.Valid;
                return;
            }
            // Positive: the database's key comes first in the direction of travel.
            int c = !_inner.Valid ? -1 : _forward ? _cmp.CompareUser(_keys[_own], _inner.Key) : _cmp.CompareUser(_inner.Key, _keys[_own]);
            if (c > 0)
            {
                _fromOwn = false;
                _valid = true;
                return;
            }
            if (!_writes[_own].IsDeletion)
            {
                _fromOwn = _valid = true;
                _ownOverInner = c == 0;
                return;
            }
            if (c == 0) StepInner();
            _own += _forward ? 1 : -1;
        }
    }

    /// <summary>Moves past the current entry in the direction of travel.</summary>
    private void Step()
    {
        if (_fromOwn)
        {
            if (_ownOverInner) StepInner();
            _own += _forward ? 1 : -1;
        }
        else StepInner();
        Settle();
    }

    private void StepInner()
    {
        if (_forward) _inner.Next();
        else _inner.Prev();
    }

    /// <summary>
    /// Starts recording a range at <paramref name="from"/> (a seek target or bound; null: unbounded)
    /// reaching to the current position in the direction of travel, or past the end when none.
    /// </summary>
    private void StartRange(byte[]? from, bool forward, bool inclusive = false)
    {
        if (_track is null) return;
        byte[]? reached = _valid ? Key.ToArray() : null;
        _range = forward
            ? new KeyRange(from, _valid ? reached : _upper, highInclusive: _valid)
            : new KeyRange(_valid ? reached : _lower, from, highInclusive: inclusive);
        _track(_range);
    }

    private void CheckUsable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _transaction.ThrowIfEnded();
    }

    private void CheckPositioned()
    {
        CheckUsable();
        if (!_valid) throw new InvalidOperationException("The iterator is not positioned at an entry (Valid is false).");
    }
}
