using LatticeKV.Keys;

namespace LatticeKV.Indexing;

/// <summary>
/// What one batch does to one indexed family, in order: the state a key has once the batch is
/// applied is what the batch's last operation covering it says (a put, a delete or a range
/// delete), or the stored value when no operation covers it.
/// </summary>
internal sealed class PrimaryChanges
{
    private readonly List<(ValueKind Kind, byte[] Key, byte[]? Value)> _operations = [];

    public void Record(ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => _operations.Add((kind, key.ToArray(), kind is ValueKind.Value or ValueKind.RangeDeletion ? value.ToArray() : null));

    /// <summary>True when the batch covers <paramref name="key"/>; <paramref name="value"/> is then its value after the batch (null: deleted).</summary>
    public bool TryLatest(ReadOnlySpan<byte> key, out byte[]? value)
    {
        for (int i = _operations.Count - 1; i >= 0; i--)
        {
            var (kind, k, v) = _operations[i];
            bool covers = kind == ValueKind.RangeDeletion
                ? key.SequenceCompareTo(k) >= 0 && key.SequenceCompareTo(v) < 0
                : key.SequenceEqual(k);
            if (!covers) continue;
            value = kind == ValueKind.Value ? v : null;
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>Keys the batch puts or deletes by name, each once.</summary>
    public IEnumerable<byte[]> NamedKeys => _operations.Where(o => o.Kind != ValueKind.RangeDeletion).Select(o => o.Key).Distinct(ByteKeys.Instance);

    /// <summary>The ranges the batch deletes, [begin, end).</summary>
    public IEnumerable<(byte[] Begin, byte[] End)> Ranges => _operations.Where(o => o.Kind == ValueKind.RangeDeletion).Select(o => (o.Key, o.Value!));
}
