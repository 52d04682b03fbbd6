
namespace LatticeKV.Keys;

/// <summary>
/// Merges sorted children into one sorted stream, in either direction (LevelDB's design).
/// Internal keys are unique across children, which makes switching direction simple:
/// reposition every other child just past (or before) the current key.
/// Takes ownership of its children and disposes them.
/// </summary>
internal sealed class MergingIterator : InternalIterator
{
    private readonly InternalKeyComparator _cmp;
    private readonly InternalIterator[] _children;
    private InternalIterator? _current;
    // The next of the other children in the current direction when the current one was chosen
    // (going forward the smallest of them, backward the largest; null when none was valid). Only
    // the current child moves between choices, so while its key stays before this one's (forward)
    // or after it (backward) it is still the one to return: one comparison instead of one per child.
    private InternalIterator? _runnerUp;
    private bool _forward = true;

    public MergingIterator(InternalKeyComparator cmp, IEnumerable<InternalIterator> children)
    {
        _cmp = cmp;
        _children = children.ToArray();
    }

    /// <summary>Swaps child <paramref name="index"/> for <paramref name="child"/> and disposes the old one; the iterator is left unpositioned.</summary>
    public void ReplaceChild(int index, InternalIterator child)
    {
        var old = _children[index];
        _children[index] = child;
        _current = null;
        _runnerUp = null;
        old.Dispose();
    }

    public override bool Valid => _current is not null && _current.Valid;

    public override ReadOnlySpan<byte> Key => _current!.Key;

    public override ReadOnlySpan<byte> Value => _current!.Value;

    public override void SeekToFirst()
    {
        foreach (var c in _children) c.SeekToFirst();
        _forward = true;
        FindSmallest();
    }

    public override void SeekToLast()
    {
        foreach (var c in _children) c.SeekToLast();
        _forward = false;
        FindLargest();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        PrepareChildren(target);
        foreach (var c in _children) c.Seek(target);
        _forward = true;
        FindSmallest();
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        PrepareChildren(target);
        foreach (var c in _children) c.SeekForPrev(target);
        _forward = false;
        FindLargest();
    }

    public override void Next()
    {
        var current = _current!;
        if (!_forward)
        {
            // Every other child sits before the current key; move each just past it.
            var key = current.Key.ToArray();
            foreach (var c in _children)
            {
                if (c == current) continue;
                c.Seek(key);
                if (c.Valid && _cmp.Compare(key, c.Key) == 0) c.Next();
            }
            _forward = true;
            current.Next();
            FindSmallest();
            return;
        }
        current.Next();
        // No other child sits anywhere: the current one is the smallest, or nothing is left.
        if (_runnerUp is not { } runnerUp) return;
        if (current.Valid && _cmp.Compare(current.Key, runnerUp.Key) < 0) return;
        // The runner-up is at most every other child and now below the current one.
        _current = runnerUp;
        _runnerUp = SmallestExcept(runnerUp);
    }

    public override void Prev()
    {
        var current = _current!;
        if (_forward)
        {
            // Every other child sits after the current key; move each just before it.
            var key = current.Key.ToArray();
            foreach (var c in _children)
            {
                if (c == current) continue;
                c.SeekForPrev(key);
                if (c.Valid && _cmp.Compare(key, c.Key) == 0) c.Prev();
            }
            _forward = false;
            current.Prev();
            FindLargest();
            return;
        }
        current.Prev();
        // No other child sits anywhere: the current one is the largest, or nothing is left.
        if (_runnerUp is not { } runnerUp) return;
        if (current.Valid && _cmp.Compare(current.Key, runnerUp.Key) > 0) return;
        // The runner-up is at least every other child and now above the current one.
        _current = runnerUp;
        _runnerUp = LargestExcept(runnerUp);
    }

    /// <summary>Runs each stage of <see cref="InternalIterator.PrepareSeek"/> for every child before the next stage.</summary>
    private void PrepareChildren(ReadOnlySpan<byte> target)
    {
        if (_children.Length <= 1) return;
        for (int stage = 0; stage < SeekStages; stage++)
        {
            foreach (var c in _children) c.PrepareSeek(target, stage);
        }
    }

    private void FindSmallest()
    {
        InternalIterator? smallest = null, second = null;
        foreach (var c in _children)
        {
            if (!c.Valid) continue;
            if (smallest is null) smallest = c;
            else if (_cmp.Compare(c.Key, smallest.Key) < 0)
            {
                second = smallest;
                smallest = c;
            }
            else if (second is null || _cmp.Compare(c.Key, second.Key) < 0) second = c;
        }
        _current = smallest;
        _runnerUp = second;
    }

    private InternalIterator? SmallestExcept(InternalIterator skipped)
    {
        InternalIterator? smallest = null;
        foreach (var c in _children)
        {
            if (c == skipped || !c.Valid) continue;
            if (smallest is null || _cmp.Compare(c.Key, smallest.Key) < 0) smallest = c;
        }
        return smallest;
    }

    private void FindLargest()
    {
        InternalIterator? largest = null, second = null;
        foreach (var c in _children)
        {
            if (!c.Valid) continue;
            if (largest is null) largest = c;
            else if (_cmp.Compare(c.Key, largest.Key) > 0)
            {
                second = largest;
                largest = c;
            }
            else if (second is null || _cmp.Compare(c.Key, second.Key) > 0) second = c;
        }
        _current = largest;
        _runnerUp = second;
    }

    private InternalIterator? LargestExcept(InternalIterator skipped)
    {
        InternalIterator? largest = null;
        foreach (var c in _children)
        {
            if (c == skipped || !c.Valid) continue;
            if (largest is null || _cmp.Compare(c.Key, largest.Key) > 0) largest = c;
        }
        return largest;
    }

    public override void Dispose()
    {
        foreach (var c in _children) c.Dispose();
    }
}
