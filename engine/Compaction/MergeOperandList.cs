using System.Buffers;

namespace LatticeKV.Compaction;

/// <summary>
/// Copies of one key's merge operands (with their sequence numbers) in pooled buffers, in the
/// order added. Reused from key to key; <see cref="Dispose"/> returns the buffers. Not thread-safe.
/// </summary>
internal sealed class MergeOperandList : IDisposable
{
    private byte[] _data = [];
    private int[] _ends = [];
    private ulong[] _sequences = [];
    private int _count;

    public int Count => _count;

    /// <summary>Operand <paramref name="index"/> in the order added.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            int start = index == 0 ? 0 : _ends[index - 1];
            return _data.AsSpan(start, _ends[index] - start);
        }
    }

    /// <summary>The sequence number operand <paramref name="index"/> was added with.</summary>
    public ulong Sequence(int index) => _sequences[index];

    public void Clear() => _count = 0;

    public void Add(ReadOnlySpan<byte> operand, ulong sequence)
    {
        int start = _count == 0 ? 0 : _ends[_count - 1];
        if (_count == _ends.Length)
        {
            _ends = Grow(_ends, _count);
            _sequences = Grow(_sequences, _count);
        }
        if (_data.Length - start < operand.Length) _data = Grow(_data, start, start + operand.Length);
        operand.CopyTo(_data.AsSpan(start));
        _ends[_count] = start + operand.Length;
        _sequences[_count] = sequence;
        _count++;
    }

    /// <summary>The operands for <see cref="IMergeOperator.FullMerge"/>; <paramref name="newestFirst"/> says the order they were added in.</summary>
    public MergeOperands View(bool newestFirst) => new(_data, _ends.AsSpan(0, _count), newestFirst);

    public void Dispose()
    {
        Return(ref _data);
        Return(ref _ends);
        Return(ref _sequences);
        _count = 0;
    }

    private static T[] Grow<T>(T[] old, int used, int needed = 0)
    {
        var grown = ArrayPool<T>.Shared.Rent(Math.Max(Math.Max(needed, 16), old.Length * 2));
        old.AsSpan(0, used).CopyTo(grown);
        if (old.Length > 0) ArrayPool<T>.Shared.Return(old);
        return grown;
    }

    private static void Return<T>(ref T[] array)
    {
        if (array.Length > 0) ArrayPool<T>.Shared.Return(array);
        array = [];
    }
}
