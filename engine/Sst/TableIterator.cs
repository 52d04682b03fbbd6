using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// Two-level iterator over a table: the index block picks a data block, a reusable
/// <see cref="BlockIterator"/> walks it. Empty positions at block edges are skipped in the
/// direction of travel.
/// </summary>
internal sealed class TableIterator : InternalIterator
{
    private readonly TableReader _table;
    private readonly bool _fillCache;
    private readonly BlockIterator _index;
    private readonly BlockIterator _data;
    private long _dataBlockOffset = -1;

    public TableIterator(TableReader table, SpanComparer cmp, bool fillCache)
    {
        _table = table;
        _fillCache = fillCache;
        _index = new BlockIterator(cmp);
        _index.Reset(table.IndexBlock);
        _data = new BlockIterator(cmp);
    }

    public override bool Valid => _dataBlockOffset >= 0 && _data.Valid;

    public override ReadOnlySpan<byte> Key => _data.Key;

    public override ReadOnlySpan<byte> Value => _data.Value;

    public override void SeekToFirst()
    {
        try
        {
            _index.SeekToFirst();
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.SeekToFirst();
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void SeekToLast()
    {
        try
        {
            _index.SeekToLast();
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.SeekToLast();
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        try
        {
            _index.Seek(target);
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.Seek(target);
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        try
        {
            _index.Seek(target);
            if (!_index.Valid) _index.SeekToLast();
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.SeekForPrev(target);
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Next()
    {
        try
        {
            _data.Next();
            SkipEmptyForward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    public override void Prev()
    {
        try
        {
            _data.Prev();
            SkipEmptyBackward();
        }
        catch (CorruptionException ex) when (ex.FilePath is null) { throw ex.At(_table.Path); }
    }

    private void LoadDataBlock()
    {
        if (!_index.Valid)
        {
            _dataBlockOffset = -1;
            return;
        }
        var handle = BlockHandle.Decode(_index.Value);
        if (handle.Offset == _dataBlockOffset && _data.Block is not null) return;
        _data.Reset(_table.GetDataBlock(handle, _fillCache));
        _dataBlockOffset = handle.Offset;
    }

    private void SkipEmptyForward()
    {
        while (_dataBlockOffset >= 0 && !_data.Valid)
        {
            _index.Next();
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.SeekToFirst();
        }
    }

    private void SkipEmptyBackward()
    {
        while (_dataBlockOffset >= 0 && !_data.Valid)
        {
            _index.Prev();
            LoadDataBlock();
            if (_dataBlockOffset >= 0) _data.SeekToLast();
        }
    }
}
