namespace LatticeKV.Sst;

/// <summary>
/// The entries of one restart interval of a block, as a <see cref="BlockIterator"/> parsed them
/// going forward from the restart: their offsets, lengths and whole keys. Entries are stored
/// prefix-compressed, so an entry's key can only be rebuilt from its interval's restart; stepping
/// back through an interval one entry at a time would otherwise parse it from the restart again
/// at every step (quadratic in the interval's length), as reverse scans do.
/// </summary>
internal sealed class IntervalEntries
{
    private Entry[] _entries = new Entry[16];
    private byte[] _keys = new byte[1024];
    private int _count;
    private int _keyBytes;
    private int _at = -1; // the remembered entry the iterator is at; -1 when none

    /// <summary>Forgets every entry (the iterator moved some other way).</summary>
    public void Clear()
    {
        _count = 0;
        _keyBytes = 0;
        _at = -1;
    }

    /// <summary>Remembers the entry just parsed, the next one in the interval; the iterator is now at it.</summary>
    public void Add(int offset, int next, int shared, int valueOffset, int valueLength, ReadOnlySpan<byte> key)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        if (_keyBytes + key.Length > _keys.Length) Array.Resize(ref _keys, Math.Max(_keyBytes + key.Length, _keys.Length * 2));
        key.CopyTo(_keys.AsSpan(_keyBytes));
        _entries[_count] = new Entry(offset, next, shared, valueOffset, valueLength, _keyBytes, key.Length);
        _keyBytes += key.Length;
        _at = _count++;
    }

    /// <summary>
    /// Moves to the entry before the one at block offset <paramref name="current"/> when it is
    /// remembered; false when the iterator is not at a remembered entry or it is the interval's first.
    /// </summary>
    public bool TryStepBack(int current)
    {
        if (_at <= 0 || _entries[_at].Offset != current) return false;
        _at--;
        return true;
    }

    /// <summary>The remembered entry moved to by <see cref="TryStepBack"/>: its key (valid until the next <see cref="Add"/>) and fields.</summary>
    public ReadOnlySpan<byte> Restore(out int offset, out int next, out int shared, out int valueOffset, out int valueLength)
    {
        var e = _entries[_at];
        offset = e.Offset;
        next = e.Next;
        shared = e.Shared;
        valueOffset = e.ValueOffset;
        valueLength = e.ValueLength;
        return _keys.AsSpan(e.KeyStart, e.KeyLength);
    }

    private readonly record struct Entry(int Offset, int Next, int Shared, int ValueOffset, int ValueLength, int KeyStart, int KeyLength);
}
