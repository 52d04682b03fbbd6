namespace LatticeKV.Db;

/// <summary>
/// Live snapshots as a multiset of sequence numbers. Compaction asks for the distinct
/// sequence numbers, ascending, to cut history into stripes.
/// </summary>
internal sealed class SnapshotList
{
    private readonly Lock _lock = new();
    // Guarded by _lock: sequence number -> number of snapshots at it.
    private readonly SortedDictionary<ulong, int> _counts = [];

    public int Count
    {
        get { lock (_lock) return _counts.Values.Sum(); }
    }

    public void Add(ulong sequence)
    {
        lock (_lock) _counts[sequence] = _counts.GetValueOrDefault(sequence) + 1;
    }

    public void Remove(ulong sequence)
    {
        lock (_lock)
        {
            if (!_counts.TryGetValue(sequence, out int n)) return;
            if (n <= 1) _counts.Remove(sequence);
            else _counts[sequence] = n - 1;
        }
    }

    public ulong[] Sequences()
    {
        lock (_lock) return [.. _counts.Keys];
    }

    public ulong Oldest
    {
        get { lock (_lock) return _counts.Count == 0 ? 0 : _counts.Keys.First(); }
    }
}
