using LatticeKV.Keys;

namespace LatticeKV.Indexing;

/// <summary>
/// What one batch does to one indexed family, in order: the state a key has once the batch is
/// applied is what the batch's last operation covering it says (a put, a delete or a range
/// delete), or the stored value when no operation covers it. A key's last point operation is
/// found by hash; only range deletions (rare) are scanned.
/// </summary>
internal sealed class PrimaryChanges
{
    // Per key named by a put or delete: the index of its last such operation and its value (null: deleted).
    private readonly Dictionary<byte[], (int Index, byte[]? Value)> _latest = new(KeyBytesEquality.Instance);
    private readonly List<(int Index, byte[] Begin, byte[] End)> _ranges = [];
    private int _count;

    public void Record(ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int index = _count++;
        if (kind == ValueKind.RangeDeletion) _ranges.Add((index, key.ToArray(), value.ToArray()));
        else _latest[key.ToArray()] = (index, kind == ValueKind.Value ? value.ToArray() : null);
    }

    /// <summary>True when the batch covers <paramref name="key"/>; <paramref name="value"/> is then its value after the batch (null: deleted).</summary>
    public bool TryLatest(ReadOnlySpan<byte> key, out byte[]? value)
    {
        bool named = _latest.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var last);
        foreach (var (index, begin, end) in _ranges)
        {
            if ((!named || index > last.Index) && key.SequenceCompareTo(begin) >= 0 && key.SequenceCompareTo(end) < 0)
            {
                value = null;
                return true;
            }
        }
        value = named ? last.Value : null;
        return named;
    }

    /// <summary>Keys the batch puts or deletes by name, each once.</summary>
    public IEnumerable<byte[]> NamedKeys => _latest.Keys;

    /// <summary>The ranges the batch deletes, [begin, end).</summary>
    public IEnumerable<(byte[] Begin, byte[] End)> Ranges => _ranges.Select(r => (r.Begin, r.End));
}
