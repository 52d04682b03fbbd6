using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Manifest;

/// <summary>
/// Iterates a sorted, non-overlapping run of tables (a level above 0, or the inputs of one
/// level in a compaction) as one sequence, opening each table only when reached and holding
/// a lease on the table it is in.
/// </summary>
internal sealed class LevelIterator : InternalIterator
{
    private readonly TableCache _tables;
    private readonly InternalKeyComparator _cmp;
    private readonly IReadOnlyList<FileMetaData> _files;
    private readonly bool _fillCache;
    private int _index = -1;
    private TableLease? _lease;
    private InternalIterator? _iter;

    private readonly bool _resolveBlobs;

    /// <summary><paramref name="resolveBlobs"/>: see <see cref="TableReader.NewIterator"/> (false only for compaction).</summary>
    public LevelIterator(TableCache tables, InternalKeyComparator cmp, IReadOnlyList<FileMetaData> files, bool fillCache, bool resolveBlobs = true)
    {
        _resolveBlobs = resolveBlobs;
        _tables = tables;
        _cmp = cmp;
        _files = files;
        _fillCache = fillCache;
    }

    public override bool Valid => _iter is not null && _iter.Valid;

    public override ReadOnlySpan<byte> Key => _iter!.Key;

    public override ReadOnlySpan<byte> Value => _iter!.Value;

    public override void SeekToFirst()
    {
        Open(0);
        _iter?.SeekToFirst();
        SkipForward();
    }

    public override void SeekToLast()
    {
        Open(_files.Count - 1);
        _iter?.SeekToLast();
        SkipBackward();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        Open(FindFile(target));
        _iter?.Seek(target);
        SkipForward();
    }

    public override void PrepareSeek(ReadOnlySpan<byte> target, int stage)
    {
        // Opening here is what Seek would do first; the table it opens prepares itself.
        if (stage == 0) Open(FindFile(target));
        _iter?.PrepareSeek(target, stage);
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        int i = FindFile(target);
        if (i >= _files.Count) i = _files.Count - 1;
        Open(i);
        _iter?.SeekForPrev(target);
        SkipBackward();
    }

    public override void Next()
    {
        _iter!.Next();
        SkipForward();
    }

    public override void Prev()
    {
        _iter!.Prev();
        SkipBackward();
    }

    private int FindFile(ReadOnlySpan<byte> target)
    {
        int lo = 0, hi = _files.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_cmp.Compare(_files[mid].Largest, target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private void SkipForward()
    {
        while (_iter is not null && !_iter.Valid && _index + 1 < _files.Count)
        {
            Open(_index + 1);
            _iter?.SeekToFirst();
        }
    }

    private void SkipBackward()
    {
        while (_iter is not null && !_iter.Valid && _index > 0)
        {
            Open(_index - 1);
            _iter?.SeekToLast();
        }
    }

    private void Open(int index)
    {
        if (index == _index && _iter is not null) return;
        if (index < 0 || index >= _files.Count)
        {
            Close();
            _index = -1;
            return;
        }
        TableLease lease;
        try { lease = _tables.Acquire(_files[index].Number); }
        catch
        {
            Close();
            _index = -1;
            throw;
        }
        var previous = _lease;
        var reuse = _iter;
        _iter = null;
        _lease = null;
        _index = -1;
        try
        {
            // The table iterator of the file left behind moves on with us (it lets go of its block
            // first); the old file's lease goes after it.
            _iter = lease.Reader.NewIteratorReusing(reuse, _fillCache, _resolveBlobs);
        }
        catch
        {
            reuse?.Dispose(); // a second Dispose of a table iterator does nothing
            lease.Dispose();
            previous?.Dispose();
            throw;
        }
        _lease = lease;
        previous?.Dispose();
        _index = index;
    }

    /// <summary>The table iterator in use, or null (tests of its reuse).</summary>
    internal InternalIterator? Current => _iter;

    private void Close()
    {
        _iter?.Dispose();
        _iter = null;
        _lease?.Dispose();
        _lease = null;
    }

    public override void Dispose() => Close();
}
