namespace LatticeKV;

/// <summary>
/// The merge operands of one key handed to <see cref="IMergeOperator.FullMerge"/>, oldest
/// first. A view of engine-owned buffers: valid only during the call.
/// </summary>
public readonly ref struct MergeOperands
{
    private readonly byte[] _data;
    private readonly ReadOnlySpan<int> _ends; // end offset of each operand in _data, in stored order
    private readonly bool _newestFirst;

    internal MergeOperands(byte[] data, ReadOnlySpan<int> ends, bool newestFirst)
    {
        _data = data;
        _ends = ends;
        _newestFirst = newestFirst;
    }

    /// <summary>The number of operands (at least one).</summary>
    public int Count => _ends.Length;

    /// <summary>Operand <paramref name="index"/>, 0 being the oldest.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_ends.Length) throw new ArgumentOutOfRangeException(nameof(index));
            int stored = _newestFirst ? _ends.Length - 1 - index : index;
            int start = stored == 0 ? 0 : _ends[stored - 1];
            return _data.AsSpan(start, _ends[stored] - start);
        }
    }
}
