using LatticeKV.Keys;

namespace LatticeKV.Db;

/// <summary>
/// The keys written by the members of a write group ahead of the member being checked: they are
/// not in the memtables yet, so a <see cref="IGroupCommitCheck"/> looks for its keys here as well
/// as in the database. Leader-owned; cleared per group.
/// </summary>
internal sealed class GroupWrittenKeys
{
    /// <summary>No keys: what a write alone in its group sees ahead of it (never added to).</summary>
    public static readonly GroupWrittenKeys None = new();

    private readonly Dictionary<uint, HashSet<byte[]>> _families = [];

    /// <summary>True when no member ahead wrote anything.</summary>
    public bool IsEmpty { get; private set; } = true;

    /// <summary>True when a member ahead wrote <paramref name="key"/> of column family <paramref name="columnFamilyId"/>.</summary>
    public bool Contains(uint columnFamilyId, ReadOnlySpan<byte> key)
        => _families.TryGetValue(columnFamilyId, out var keys) && keys.GetAlternateLookup<ReadOnlySpan<byte>>().Contains(key);

    /// <summary>The keys members ahead wrote in column family <paramref name="columnFamilyId"/> (none: empty).</summary>
    public IEnumerable<byte[]> In(uint columnFamilyId)
        => _families.TryGetValue(columnFamilyId, out var keys) ? keys : [];

    /// <summary>Adds every key <paramref name="batch"/> writes (the group holds no range deletions, see <see cref="WritePath"/>).</summary>
    public void Add(WriteBatch batch)
    {
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (!_families.TryGetValue(reader.ColumnFamilyId, out var keys))
                _families[reader.ColumnFamilyId] = keys = new HashSet<byte[]>(KeyBytesEquality.Instance);
            keys.GetAlternateLookup<ReadOnlySpan<byte>>().Add(reader.Key);
            IsEmpty = false;
        }
    }

    public void Clear()
    {
        foreach (var keys in _families.Values) keys.Clear();
        IsEmpty = true;
    }
}
