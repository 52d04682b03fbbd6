using System.Buffers;
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

    /// <summary>Output blocks stored with zstd: their edit records database format 8 (FORMAT.md §19).</summary>
    public long ZstdBlocks;

    /// <summary>Values written to blob files (FORMAT.md §21), and their bytes as stored.</summary>
    public long BlobValuesWritten;
    public long BlobBytesWritten;

    /// <summary>Of those, the live values garbage collection copied out of blob files being collected, and their bytes as stored.</summary>
    public long BlobValuesRelocated;
    public long BlobBytesRelocated;

    /// <summary>Blob files written: their edit records database format 9 (FORMAT.md §21).</summary>
    public List<Blob.BlobFileMetaData> BlobFiles { get; } = [];

    /// <summary>Per blob file, the records (and their bytes) whose references the job dropped or moved.</summary>
    public Dictionary<long, (long Count, long Bytes)> BlobGarbage { get; } = [];

    /// <summary>Per blob file, the references the job wrote out unchanged (counted only when <see cref="CountBlobReferences"/>; repair needs them).</summary>
    public Dictionary<long, (long Count, long Bytes)> BlobReferences { get; } = [];

    public bool CountBlobReferences { get; init; }

    public void AddBlobGarbage(in Blob.BlobReference reference)
    {
        BlobGarbage.TryGetValue(reference.FileNumber, out var g);
        BlobGarbage[reference.FileNumber] = (g.Count + 1, g.Bytes + reference.RecordSize);
    }
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
/// Merge operands do not shadow what is older: the operands at the top of a stripe are
/// combined, within the stripe only, with the value or deletion under them (or with nothing at
/// the bottom of the tree) into one value; short of that, adjacent operands are partially
/// merged when the operator can. An operator that fails leaves the operands as they were.
/// </summary>
internal sealed class CompactionIterator : IDisposable
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
    // Whether an entry of the current user key has been returned yet.
    private bool _currentUserKeyReturned;
    private int _lastStripe;
    private byte[] _keyBuffer = new byte[64];
    private int _keyLength;
    private bool _valueCleared;
    private bool _started;
    // Merging: the operator, the operands of the current key (newest first), and what a merge
    // produced, to be returned before the input moves on (oldest first; returned from the end).
    private readonly IMergeOperator? _merge;
    private MergeOperandList? _operands;
    private MergeOperandList? _pending;
    private readonly List<ValueKind> _pendingKinds = [];
    private int _pendingNext;
    private bool _emittingPending;
    private bool _holdInput; // the input already sits on the next entry to look at
    private ArrayBufferWriter<byte>? _mergeOut;
    private ArrayBufferWriter<byte>? _mergeAccumulator;
    private readonly Blob.BlobFileCache? _blobs;

    public CompactionIterator(InternalIterator input, InternalKeyComparator cmp, ulong[] snapshots, FragmentedRangeTombstones rangeDels,
        ValuePolicy? policy, UserKeyPredicate isBaseLevelForKey, CompactionStats stats, bool zeroSequences = false, Blob.BlobFileCache? blobs = null)
    {
        _blobs = blobs;
        // Only without range tombstones: a zeroed key must never look older than a tombstone
        // that did not cover it.
        _zeroSequences = zeroSequences && rangeDels.IsEmpty;
        _input = input;
        _cmp = cmp;
        _snapshots = snapshots;
        _rangeDels = rangeDels;
        _policy = policy is { IsNoop: false } ? policy : null;
        _merge = policy?.MergeOperator;
        _isBaseLevelForKey = isBaseLevelForKey;
        _stats = stats;
    }

    public ReadOnlySpan<byte> Key => _keyBuffer.AsSpan(0, _keyLength);

    public ReadOnlySpan<byte> Value => _emittingPending ? _pending![_pendingNext] : _valueCleared ? default : _input.Value;

    public ReadOnlySpan<byte> UserKey => _keyBuffer.AsSpan(0, _keyLength - InternalKey.TrailerSize);

    /// <summary>
    /// Whether the current entry is the first returned of its user key (the one before it, if
    /// any, has another user key): a writer may start a new table only there. Known from the
    /// comparison that finds where the input's user keys change, so the writer need not compare
    /// each key with the one before again.
    /// </summary>
    public bool IsFirstOfUserKey { get; private set; }

    /// <summary>Index of the stripe holding <paramref name="seq"/>: the first snapshot at or above it.</summary>
    public int Stripe(ulong seq)
    {
        int i = Array.BinarySearch(_snapshots, seq);
        return i >= 0 ? i : ~i;
    }

    public bool MoveNext()
    {
        if (_pendingNext > 0)
        {
            EmitPending();
            return true;
        }
        _emittingPending = false;
        if (!_started)
        {
            _input.SeekToFirst();
            _started = true;
        }
        else if (_holdInput)
        {
            _holdInput = false;
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
                _currentUserKeyReturned = false;
                _lastStripe = -1;
            }
            int stripe = Stripe(seq);
            if (stripe == _lastStripe)
            {
                _stats.DroppedShadowed++;
                NoteDroppedBlob(kind);
                continue;
            }
            _lastStripe = stripe;

            if (CoveredByRangeTombstone(userKey, seq, stripe))
            {
                _stats.DroppedByRangeTombstone++;
                NoteDroppedBlob(kind);
                continue;
            }

            _valueCleared = false;
            if (kind == ValueKind.Merge)
            {
                CollectAndMerge(key, stripe);
                EmitPending();
                return true;
            }
            if (ValueKinds.IsStoredValue(kind) && _policy is not null && IsDead(kind, userKey, _input.Value))
            {
                _stats.ExpiredOrFiltered++;
                NoteDroppedBlob(kind);
                kind = ValueKind.Deletion;
                _valueCleared = true;
            }

            if (kind == ValueKind.Deletion && stripe == 0 && _isBaseLevelForKey(_currentUserKey.AsSpan(0, _currentUserKeyLength)))
            {
                // Nothing older is below and no snapshot predates it: the tombstone has done its job.
                _stats.DroppedTombstones++;
                continue;
            }

            bool zero = _zeroSequences && stripe == 0 && seq != 0 && ValueKinds.IsStoredValue(kind)
                && _isBaseLevelForKey(_currentUserKey.AsSpan(0, _currentUserKeyLength));
            SetKey(key, kind, zero);
            NoteReturned();
            _stats.OutputEntries++;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The input sits on the newest operand of a stripe. Takes every operand under it in the
    /// stripe, stops at the first other entry (left for <see cref="MoveNext"/>) and queues what
    /// replaces them: one value when a full merge is allowed and succeeds, else the operands,
    /// partially merged where the operator can.
    /// </summary>
    private void CollectAndMerge(ReadOnlySpan<byte> first, int stripe)
    {
        var operands = _operands ??= new MergeOperandList();
        operands.Clear();
        operands.Add(_input.Value, InternalKey.Sequence(first));
        var userKey = _currentUserKey.AsSpan(0, _currentUserKeyLength);
        bool fullMerge = false, hasBase = false, baseInStripe = false;
        ReadOnlySpan<byte> baseValue = default;
        for (_input.Next(); ; _input.Next())
        {
            if (!_input.Valid || _cmp.CompareUser(InternalKey.UserKey(_input.Key), userKey) != 0)
            {
                // The key's last entry: at the bottom of the tree the operands apply to nothing.
                fullMerge = stripe == 0 && _isBaseLevelForKey(userKey);
                break;
            }
            var key = _input.Key;
            if (!InternalKey.IsWellFormed(key)) throw new CorruptionException("malformed internal key in compaction input");
            ulong seq = InternalKey.Sequence(key);
            if (Stripe(seq) != stripe) break; // never across a snapshot boundary
            var kind = InternalKey.Kind(key);
            bool covered = CoveredByRangeTombstone(userKey, seq, stripe);
            if (kind == ValueKind.Merge && !covered)
            {
                _stats.InputEntries++;
                operands.Add(_input.Value, seq);
                continue;
            }
            // A value, a deletion or an entry a range tombstone hides: the operands apply to it.
            fullMerge = baseInStripe = true;
            if (!covered && ValueKinds.IsStoredValue(kind))
            {
                var stored = _input.Value;
                if (kind == ValueKind.BlobIndex) (kind, stored) = ResolveBlob(stored);
                hasBase = _policy is null || !_policy.IsDead(kind, userKey, stored);
                if (hasBase) baseValue = ValuePolicy.UserValue(kind, stored);
            }
            else if (!covered && kind != ValueKind.Deletion)
            {
                throw new CorruptionException($"entry of kind {(byte)kind} among point entries in compaction input");
            }
            break;
        }
        _holdInput = true;
        var pending = _pending ??= new MergeOperandList();
        pending.Clear();
        _pendingKinds.Clear();
        var output = _mergeOut ??= new ArrayBufferWriter<byte>();
        if (fullMerge && _merge is not null
            && MergeRunner.TryFullMerge(_merge, userKey, baseValue, hasBase, operands.View(newestFirst: true), output, out _))
        {
            bool dead = _policy is not null && _policy.IsDead(ValueKind.Value, userKey, output.WrittenSpan);
            if (dead) _stats.ExpiredOrFiltered++;
            pending.Add(dead ? default : output.WrittenSpan, operands.Sequence(0));
            _pendingKinds.Add(dead ? ValueKind.Deletion : ValueKind.Value);
            // The entry under the operands was merged in: the rest of the stripe is shadowed.
            _lastStripe = stripe;
        }
        else
        {
            QueuePartiallyMerged(operands, userKey);
            // Whatever stopped the operands is looked at on its own, as the first of its stripe.
            _lastStripe = baseInStripe ? -1 : stripe;
        }
        _pendingNext = pending.Count;
    }

    /// <summary>Queues the operands oldest first, combining neighbours the operator can combine.</summary>
    private void QueuePartiallyMerged(MergeOperandList operands, ReadOnlySpan<byte> userKey)
    {
        var pending = _pending!;
        var acc = _mergeAccumulator ??= new ArrayBufferWriter<byte>();
        var output = _mergeOut!;
        acc.ResetWrittenCount();
        acc.Write(operands[operands.Count - 1]);
        ulong accSeq = operands.Sequence(operands.Count - 1);
        for (int i = operands.Count - 2; i >= 0; i--)
        {
            if (_merge is not null && MergeRunner.TryPartialMerge(_merge, userKey, acc.WrittenSpan, operands[i], output))
            {
                (acc, output) = (output, acc);
            }
            else
            {
                pending.Add(acc.WrittenSpan, accSeq);
                _pendingKinds.Add(ValueKind.Merge);
                acc.ResetWrittenCount();
                acc.Write(operands[i]);
            }
            accSeq = operands.Sequence(i);
        }
        pending.Add(acc.WrittenSpan, accSeq);
        _pendingKinds.Add(ValueKind.Merge);
        _mergeAccumulator = acc;
        _mergeOut = output;
    }

    /// <summary>Makes the newest queued entry current.</summary>
    private void EmitPending()
    {
        _pendingNext--;
        _emittingPending = true;
        _valueCleared = false;
        var userKey = _currentUserKey.AsSpan(0, _currentUserKeyLength);
        int length = userKey.Length + InternalKey.TrailerSize;
        if (_keyBuffer.Length < length) _keyBuffer = new byte[Math.Max(length, _keyBuffer.Length * 2)];
        _keyLength = InternalKey.Encode(_keyBuffer, userKey, _pending!.Sequence(_pendingNext), _pendingKinds[_pendingNext]);
        NoteReturned();
        _stats.OutputEntries++;
    }

    private void NoteReturned()
    {
        IsFirstOfUserKey = !_currentUserKeyReturned;
        _currentUserKeyReturned = true;
    }

    /// <summary><see cref="ValuePolicy.IsDead"/> of the entry's written kind and value, read from its blob file when it has one.</summary>
    private bool IsDead(ValueKind kind, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> stored)
    {
        if (kind == ValueKind.BlobIndex) (kind, stored) = ResolveBlob(stored);
        return _policy!.IsDead(kind, userKey, stored);
    }

    private (ValueKind, byte[]) ResolveBlob(ReadOnlySpan<byte> stored)
    {
        var reference = Blob.BlobReference.Decode(stored);
        var blobs = _blobs ?? throw new CorruptionException("compaction input holds a blob reference but the job reads no blob files");
        return (reference.Kind, blobs.Read(reference));
    }

    /// <summary>The entry under the input is dropped: a blob record it referred to is garbage now (FORMAT.md §21.5).</summary>
    private void NoteDroppedBlob(ValueKind kind)
    {
        if (kind == ValueKind.BlobIndex) _stats.AddBlobGarbage(Blob.BlobReference.Decode(_input.Value));
    }

    public void Dispose()
    {
        _operands?.Dispose();
        _pending?.Dispose();
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
