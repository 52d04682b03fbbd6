using LatticeKV.Keys;

namespace LatticeKV.Transactions;

/// <summary>
/// What an optimistic transaction read, per column family: the keys of its point reads and the
/// ranges its iterators went over. The commit check proves none of it changed.
/// </summary>
internal sealed class ReadSet
{
    private readonly Dictionary<uint, Family> _families = [];

    public IEnumerable<Family> Families => _families.Values;

    public void AddKey(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        For(columnFamily).Keys.GetAlternateLookup<ReadOnlySpan<byte>>().Add(key);
    }

    public Family? Find(uint columnFamilyId) => _families.GetValueOrDefault(columnFamilyId);

    public void AddRange(ColumnFamilyHandle columnFamily, KeyRange range) => For(columnFamily).Ranges.Add(range);

    private Family For(ColumnFamilyHandle columnFamily)
    {
        if (!_families.TryGetValue(columnFamily.Id, out var family)) _families[columnFamily.Id] = family = new Family(columnFamily);
        return family;
    }

    internal sealed class Family(ColumnFamilyHandle handle)
    {
        public ColumnFamilyHandle Handle { get; } = handle;

        public HashSet<byte[]> Keys { get; } = new(KeyBytesEquality.Instance);

        public List<KeyRange> Ranges { get; } = [];
    }
}
