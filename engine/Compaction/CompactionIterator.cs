using System.Buffers.Binary;
using LatticeKV.Keys;

namespace LatticeKV.Compaction;

/// <summary>A question about one user key, asked in ascending key order.</summary>
internal delegate bool UserKeyPredicate(ReadOnlySpan<byte> userKey);

/// <summary>Counters of what a flush or compaction kept and dropped.</summary>
internal sealed class CompactionStats
{
    public long InputEntries;
    public long OutputEntries;
    public long DroppedShadowed;
    public long DroppedTombstones;
    public long DroppedByRangeTombstone;
    public long ExpiredOrFiltered;
    public long BytesRead;
    public long BytesWritten;
}

/// <summary>
/// Filters the merged input of a flush or compaction down to what some reader could still see.
/// Live snapshots cut sequence numbers into stripes; a reader sees the newest entry of a key in
/// its stripe, so only that one survives per stripe. An entry hidden by a range tombstone of the
/// same stripe goes. A point tombstone in the oldest stripe goes when no deeper level holds the
/// key. Values the <see cref="ValuePolicy"/> declares dead become tombstones (dropping them
/// outright could resurrect an older version from a deeper level).
/// A value every snapshot sees, with nothing older below it, leaves with sequence number 0 (as
/// RocksDB does at the bottom level): every reader sees it the same way, and runs of zero
/// trailers compress well.
/// </summary>
internal sealed class CompactionIterator
{
    private readonly InternalIterator _input;
    private readonly InternalKeyComparator _cmp;
    private readonly ulong[] _snapshots; // ascending
    private readonly FragmentedRangeTombstones _rangeDels;
    private readonly ValuePolicy? _policy;
    private readonly UserKeyPredicate _isBaseLevelForKey;
    private readonly CompactionStats _stats;
    private readonly bool _zeroSequences;
    private byte[] _currentUserKey = new byte[64];
    private int _currentUserKeyLength = -1;
    private int _lastStripe;
    private byte[] _keyBuffer = new byte[64];
    private int _keyLength;
    private bool _valueCleared;
    private bool _started;

    public CompactionIterator(InternalIterator input, InternalKeyComparator cmp, ulong[] snapshots, FragmentedRangeTombstones rangeDels,
        ValuePolicy? policy, UserKeyPredicate isBaseLevelForKey, CompactionStats stats, bool zeroSequences = false)
    {
        // Only without range tombstones: a zeroed key must never look older than a tombstone
        // that did not cover it.
        _zeroSequences = zeroSequences && rangeDels.IsEmpty;
        _input = input;
        _cmp = cmp;
        _snapshots = snapshots;
        _rangeDels = rangeDels;
        _policy = policy is { IsNoop: false } ? policy : null;
        _isBaseLevelForKey = isBaseLevelForKey;
        _stats = stats;
    }

    public ReadOnlySpan<byte> Key => _keyBuffer.AsSpan(0, _keyLength);

    public ReadOnlySpan<byte> Value => _valueCleared ? default : _input.Value;

    public ReadOnlySpan<byte> UserKey => _keyBuffer.AsSpan(0, _keyLength - InternalKey.TrailerSize);

    /// <summary>Index of the stripe holding <paramref name="seq"/>: the first snapshot at or above it.</summary>
    public int Stripe(ulong seq)
    {
        int i = Array.BinarySearch(_snapshots, seq);
        return i >= 0 ? i : ~i;
    }

    public bool MoveNext()
    {
        if (!_started)
        {
            _input.SeekToFirst();
            _started = true;
        }
        else
        {
            _input.Next();
        }
        for (; _input.Valid; _input.Next())
        {
            var key = _input.Key;
            if (!InternalKey.IsWellFormed(key)) throw new CorruptionException("malformed internal key in compaction input");
            _stats.InputEntries++;
            var userKey = InternalKey.UserKey(key);
            ulong trailer = InternalKey.Trailer(key);
            ulong seq = trailer >> 8;
            var kind = (ValueKind)(byte)trailer;

            bool newKey = _currentUserKeyLength < 0 || _cmp.CompareUser(userKey, _currentUserKey.AsSpan(0, _currentUserKeyLength)) != 0;
            if (newKey)
            {
                if (_currentUserKey.Length < userKey.Length) _currentUserKey = new byte[Math.Max(userKey.Length, _currentUserKey.Length * 2)];
                userKey.CopyTo(_currentUserKey);
                _currentUserKeyLength = userKey.Length;
                _lastStripe = -1;
            }
            int stripe = Stripe(seq);
            if (stripe == _lastStripe)
            {
                _stats.DroppedShadowed++;
                continue;
            }
            _lastStripe = stripe;

            if (CoveredByRangeTombstone(userKey, seq, stripe))
            {
                _stats.DroppedByRangeTombstone++;
                continue;
            }

            _valueCleared = false;
            if (ValueKinds.IsPointValue(kind) && _policy is not null && _policy.IsDead(kind, userKey, _input.Value))
            {
                _stats.ExpiredOrFiltered++;
                kind = ValueKind.Deletion;
                _valueCleared = true;
            }

            if (kind == ValueKind.Deletion && stripe == 0 && _isBaseLevelForKey(_currentUserKey.AsSpan(0, _currentUserKeyLength)))
            {
                // Nothing older is below and no snapshot predates it: the tombstone has done its job.
                _stats.DroppedTombstones++;
                continue;
            }

            bool zero = _zeroSequences && stripe == 0 && seq != 0 && ValueKinds.IsPointValue(kind)
                && _isBaseLevelForKey(_currentUserKey.AsSpan(0, _currentUserKeyLength));
            SetKey(key, kind, zero);
            _stats.OutputEntries++;
            return true;
        }
        return false;
    }

    private bool CoveredByRangeTombstone(ReadOnlySpan<byte> userKey, ulong seq, int stripe)
    {
        if (_rangeDels.IsEmpty) return false;
        int f = _rangeDels.Find(userKey);
        if (f < 0) return false;
        var seqs = _rangeDels.Sequences(f); // descending
        ulong smallestAbove = 0;
        foreach (ulong t in seqs)
        {
            if (t > seq) smallestAbove = t;
            else break;
        }
        return smallestAbove != 0 && Stripe(smallestAbove) == stripe;
    }

    private void SetKey(ReadOnlySpan<byte> key, ValueKind kind, bool zeroSequence)
    {
        if (_keyBuffer.Length < key.Length) _keyBuffer = new byte[Math.Max(key.Length, _keyBuffer.Length * 2)];
        key.CopyTo(_keyBuffer);
        _keyLength = key.Length;
        if (_valueCleared || zeroSequence)
        {
            ulong seq = zeroSequence ? 0 : InternalKey.Sequence(key);
            BinaryPrimitives.WriteUInt64LittleEndian(_keyBuffer.AsSpan(_keyLength - InternalKey.TrailerSize), InternalKey.PackTrailer(seq, kind));
        }
    }

    /// <summary>
    /// The range tombstones the outputs must keep: per fragment, one sequence per stripe, and
    /// none in the oldest stripe when nothing lies below the output.
    /// </summary>
    public List<RangeTombstone> SurvivingTombstones(bool bottomMost)
    {
        var result = new List<RangeTombstone>();
        for (int i = 0; i < _rangeDels.Count; i++)
        {
            int lastStripe = -1;
            foreach (ulong s in _rangeDels.Sequences(i))
            {
                int stripe = Stripe(s);
                if (stripe == lastStripe) continue;
                lastStripe = stripe;
                if (bottomMost && stripe == 0) continue;
                result.Add(new RangeTombstone(_rangeDels.Start(i).ToArray(), _rangeDels.End(i).ToArray(), s));
            }
        }
        return result;
    }
}
