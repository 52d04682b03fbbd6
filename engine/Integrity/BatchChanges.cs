using LatticeKV.Db;
using LatticeKV.Indexing;
using LatticeKV.Keys;

namespace LatticeKV.Integrity;

/// <summary>
/// What one batch does to each family, in order (<see cref="PrimaryChanges"/> per family): the
/// state of a key after the batch. A merge counts as a put of an unknown value (the key exists
/// after it); its value is never read (only key-only extractors accept merges).
/// </summary>
internal sealed class BatchChanges
{
    private readonly Dictionary<uint, PrimaryChanges> _families = [];

    public static BatchChanges Of(WriteBatch batch)
    {
        var changes = new BatchChanges();
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext()) changes.Record(reader.ColumnFamilyId, reader.Kind, reader.Key, reader.Value);
        return changes;
    }

    public IEnumerable<uint> Families => _families.Keys;

    public void Record(uint columnFamilyId, ValueKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (!_families.TryGetValue(columnFamilyId, out var family)) _families[columnFamilyId] = family = new PrimaryChanges();
        if (kind == ValueKind.Merge) family.Record(ValueKind.Value, key, []);
        else family.Record(kind, key, value);
    }

    /// <summary>True when the batch covers the key; <paramref name="value"/> is then its value after the batch (null: deleted).</summary>
    public bool TryLatest(uint columnFamilyId, ReadOnlySpan<byte> key, out byte[]? value)
    {
        value = null;
        return _families.TryGetValue(columnFamilyId, out var family) && family.TryLatest(key, out value);
    }

    /// <summary>The keys of <paramref name="columnFamilyId"/> the batch puts (with their values) or deletes (null), each once.</summary>
    public IEnumerable<(byte[] Key, byte[]? Value)> Latest(uint columnFamilyId)
    {
        if (!_families.TryGetValue(columnFamilyId, out var family)) yield break;
        foreach (var key in family.NamedKeys)
        {
            family.TryLatest(key, out var value);
            yield return (key, value);
        }
    }
}
