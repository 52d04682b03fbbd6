using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// Two-level iterator over a table: the index fences pick a data block by number, a reusable
/// <see cref="BlockIterator"/> walks it. Empty positions at block edges are skipped in the
/// direction of travel.
/// </summary>
internal sealed class TableIterator : InternalIterator
{
    // Replaced by Retarget when a level iterator moves on to the next table of its level.
    private TableReader _table;
    private IndexFences _fences;
    private readonly bool _fillCache;
    private readonly SpanComparer _cmp;
    private readonly BlockIterator _data;
    private Readahead? _readahead;
    private int _block = -1; // current data block number; -1 or Count when off the table
    private int _loaded = -1;
    // What PrepareSeek found for the Seek that follows it: the target, the block and, from stage 2,
    // the restart. Seek uses them only for the same target: a merging iterator interrupted by an
    // exception, or turning around, may seek a child without preparing it.
    private byte[] _preparedTarget = [];
    private int _preparedTargetLength;
    private int _preparedBlock = -1;
    private int _preparedRestart = -1;
    private ulong _preparedWindow;
    private bool _preparedWindowed;

    // Blob resolution (FORMAT.md §21): the current entry's key with its written kind and its
    // value, read on first access and kept until the iterator moves.
    private readonly bool _resolveBlobs;
    private byte[] _blobKey = [];
    private int _blobKeyLength;
    private Block? _blobValue; // pinned while the iterator stays on the entry

    public TableIterator(TableReader table, SpanComparer cmp, bool fillCache, Readahead? readahead = null, bool resolveBlobs = true)
    {
        _resolveBlobs = resolveBlobs;
        _readahead = readahead;
        _table = table;
        _fences = table.Fences;
        _fillCache = fillCache;
        _cmp = cmp;
        _data = new BlockIterator(cmp);
    }

    /// <summary>Whether <see cref="Retarget"/> may point this iterator at a table read with these settings.</summary>
    internal bool CanRetarget(SpanComparer cmp, bool fillCache, bool resolveBlobs)
        => ReferenceEquals(cmp, _cmp) && fillCache == _fillCache && resolveBlobs == _resolveBlobs;

    /// <summary>
    /// Points this iterator at <paramref name="table"/> instead of its own, unpositioned, keeping
    /// its buffers: a level iterator moves from table to table on every seek that lands in
    /// another file, and a new iterator each time is most of what a seek allocates. Lets go of
    /// the block it held (before its owner lets go of the old table's lease).
    /// </summary>
    internal void Retarget(TableReader table, Readahead? readahead)
    {
        ForgetBlob();
        var block = _data.Block;
        _data.Clear();
        block?.Unpin();
        _table = table;
        _fences = table.Fences;
        _readahead = readahead;
        _block = -1;
        _loaded = -1;
        _preparedBlock = -1;
        _preparedRestart = -1;
    }

    public override bool Valid => _block >= 0 && _block < _fences.Count && _data.Valid;

    public override ReadOnlySpan<byte> Key => IsBlobEntry ? ResolvedKey() : _data.Key;

    public override ReadOnlySpan<byte> Value => IsBlobEntry ? ResolvedValue() : _data.Value;

    private bool IsBlobEntry
    {
        get
        {
            if (!_resolveBlobs) return false;
            var key = _data.Key;
            return key.Length >= InternalKey.TrailerSize && key[^InternalKey.TrailerSize] == (byte)ValueKind.BlobIndex;
        }
    }

    /// <summary>The entry's key with the kind it was written with (the reference's first byte): no blob read.</summary>
    private ReadOnlySpan<byte> ResolvedKey()
    {
        if (_blobKeyLength == 0)
        {
            var key = _data.Key;
            var value = _data.Value;
            if (value.IsEmpty || !ValueKinds.IsPointValue((ValueKind)value[0]))
                throw new CorruptionException("malformed blob reference", _table.Path);
            if (_blobKey.Length < key.Length) _blobKey = new byte[Math.Max(key.Length, 32)];
            key.CopyTo(_blobKey);
            _blobKey[key.Length - InternalKey.TrailerSize] = value[0];
            _blobKeyLength = key.Length;
        }
        return _blobKey.AsSpan(0, _blobKeyLength);
    }

    /// <summary>The value, read from its blob file on first access at this position.</summary>
    private ReadOnlySpan<byte> ResolvedValue()
    {
        if (_blobValue is null)
        {
            try { _blobValue = _table.ReadBlob(Blob.BlobReference.Decode(_data.Value), _fillCache); }
            catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
        }
        return _blobValue.Data.AsSpan(0, BlobValueCache.ValueLength(_blobValue));
    }

    /// <summary>This iterator's readahead, null when off (tests look at its window; a retarget keeps it).</summary>
    internal Readahead? Readahead => _readahead;

    public override void SeekToFirst()
    {
        ForgetBlob();
        try
        {
            _readahead?.Reset();
            if (Load(0)) _data.SeekToFirst();
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void SeekToLast()
    {
        ForgetBlob();
        try
        {
            _readahead?.Reset();
            if (Load(_fences.Count - 1)) _data.SeekToLast();
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void PrepareSeek(ReadOnlySpan<byte> target, int stage)
    {
        try
        {
            switch (stage)
            {
                case 0:
                    _preparedRestart = -1;
                    if (_preparedTarget.Length < target.Length) _preparedTarget = new byte[Math.Max(target.Length, 32)];
                    target.CopyTo(_preparedTarget);
                    _preparedTargetLength = target.Length;
                    _preparedBlock = _fences.LowerBound(target, _table.Comparator, out _preparedWindow, out _preparedWindowed);
                    _table.PrefetchCacheSlot(_preparedBlock);
                    break;
                case 1:
                    _table.PrefetchCachedBlock(_preparedBlock);
                    break;
                default:
                    if (_preparedBlock >= 0 && Load(_preparedBlock)) _preparedRestart = _data.FindSeekRestart(target, _preparedWindow, _preparedWindowed);
                    break;
            }
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        ForgetBlob();
        try
        {
            _readahead?.Reset();
            if (TakePrepared(target, out int restart))
            {
                _data.SeekFromRestart(restart, target);
                SkipEmptyForward();
                return;
            }
            int number = _fences.LowerBound(target, _table.Comparator, out ulong window, out bool windowed);
            if (Load(number)) _data.Seek(target, window, windowed);
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        ForgetBlob();
        try
        {
            _readahead?.Reset();
            // The prepared block is the one holding the first entry at or after the target, as below.
            if (TakePrepared(target, out int restart))
            {
                _data.SeekForPrevFromRestart(restart, target);
                SkipEmptyBackward();
                return;
            }
            int i = _fences.LowerBound(target, _table.Comparator);
            if (Load(Math.Min(i, _fences.Count - 1))) _data.SeekForPrev(target);
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Next()
    {
        ForgetBlob();
        try
        {
            _data.Next();
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Prev()
    {
        ForgetBlob();
        try
        {
            _data.Prev();
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    /// <summary>
    /// True, with the restart to scan from and the prepared block loaded, when
    /// <see cref="PrepareSeek"/> ran for this <paramref name="target"/> and found a block; the
    /// preparation is used up either way.
    /// </summary>
    private bool TakePrepared(ReadOnlySpan<byte> target, out int restart)
    {
        restart = _preparedRestart;
        _preparedRestart = -1;
        return restart >= 0 && target.SequenceEqual(_preparedTarget.AsSpan(0, _preparedTargetLength)) && Load(_preparedBlock);
    }

    /// <summary>Positions on data block <paramref name="number"/>; false when it is off the table.</summary>
    private bool Load(int number)
    {
        _block = number;
        if (number < 0 || number >= _fences.Count) return false;
        if (number != _loaded || _data.Block is null)
        {
            // The iterator holds a pin on the block it is in: taken by GetDataBlock, let go only
            // once it has moved to the next one, so no byte of a block is read after its unpin.
            var previous = _data.Block;
            _data.Reset(_table.GetDataBlock(number, _fillCache));
            _loaded = number;
            previous?.Unpin();
            _readahead?.OnLoad(number);
        }
        return true;
    }

    private void ForgetBlob()
    {
        _blobKeyLength = 0;
        _blobValue?.Unpin();
        _blobValue = null;
    }

    public override void Dispose()
    {
        ForgetBlob();
        var block = _data.Block;
        _data.Clear();
        _loaded = -1;
        block?.Unpin();
        base.Dispose();
    }

    private void SkipEmptyForward()
    {
        while (_block >= 0 && _block < _fences.Count && !_data.Valid)
        {
            if (Load(_block + 1)) _data.SeekToFirst();
        }
    }

    private void SkipEmptyBackward()
    {
        while (_block >= 0 && _block < _fences.Count && !_data.Valid)
        {
            if (Load(_block - 1)) _data.SeekToLast();
        }
    }
}
