using LatticeKV.Keys;

namespace LatticeKV.Tests.Support;

/// <summary>An <see cref="InternalIterator"/> over entries a test lists, sorted once by internal key.</summary>
internal sealed class ListIterator : InternalIterator
{
    private readonly List<(byte[] Key, byte[] Value)> _entries;
    private readonly InternalKeyComparator _cmp;
    private int _index = -1;

    /// <summary>With <paramref name="sort"/> false the entries stay as given: malformed keys the comparator cannot order, for corruption tests.</summary>
    public ListIterator(InternalKeyComparator cmp, IEnumerable<(byte[] Key, byte[] Value)> entries, bool sort = true)
    {
        _cmp = cmp;
        _entries = [.. entries];
        if (sort) _entries.Sort((a, b) => cmp.Compare(a.Key, b.Key));
    }

    public override bool Valid => _index >= 0 && _index < _entries.Count;

    public override ReadOnlySpan<byte> Key => Valid ? _entries[_index].Key : throw new InvalidOperationException("Iterator is not valid.");

    public override ReadOnlySpan<byte> Value => Valid ? _entries[_index].Value : throw new InvalidOperationException("Iterator is not valid.");

    public override void SeekToFirst() => _index = 0;

    public override void SeekToLast() => _index = _entries.Count - 1;

    public override void Seek(ReadOnlySpan<byte> target)
    {
        _index = 0;
        while (_index < _entries.Count && _cmp.Compare(_entries[_index].Key, target) < 0) _index++;
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        _index = _entries.Count - 1;
        while (_index >= 0 && _cmp.Compare(_entries[_index].Key, target) > 0) _index--;
    }

    public override void Next() => _index++;

    public override void Prev() => _index--;
}
