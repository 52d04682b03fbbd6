using LatticeKV.Keys;

namespace LatticeKV.Transactions;

/// <summary>
/// A transaction's writes, per column family, one <see cref="PendingWrite"/> per key: what its
/// reads see first and what its commit writes. Keys are found by hash; their order (the
/// family's comparator) is worked out only when asked for, by an iterator or the commit, and
/// kept until a new key arrives, so a transaction writing many keys in any order stays linear.
/// </summary>
internal sealed class WriteBuffer
{
    private readonly Dictionary<uint, Family> _families = [];

    /// <summary>The families written, in column family id order (the order their keys are locked in at commit).</summary>
    public IEnumerable<Family> Families => _families.Values.OrderBy(f => f.Handle.Id);

    public bool IsEmpty => _families.Count == 0;

    public PendingWrite? Find(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
        => _families.TryGetValue(columnFamily.Id, out var family) && family.Writes.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(key, out var write) ? write : null;

    /// <summary>The entry of <paramref name="key"/>, created (with no operation yet) when absent.</summary>
    public PendingWrite GetOrAdd(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        if (!_families.TryGetValue(columnFamily.Id, out var family)) _families[columnFamily.Id] = family = new Family(columnFamily);
        var lookup = family.Writes.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (lookup.TryGetValue(key, out var write)) return write;
        write = new PendingWrite();
        lookup[key] = write;
        family.Sorted = null;
        return write;
    }

    /// <summary>The writes of one column family, in key order, as they are now (a copy).</summary>
    public (byte[][] Keys, PendingWrite[] Writes) CopyOf(ColumnFamilyHandle columnFamily)
    {
        if (!_families.TryGetValue(columnFamily.Id, out var family)) return ([], []);
        var keys = family.SortedKeys();
        return ([.. keys], [.. keys.Select(k => family.Writes[k])]);
    }

    /// <summary>Appends every write to <paramref name="batch"/> in key order: per key its put or deletion, then its merge operands.</summary>
    public void AppendTo(WriteBatch batch)
    {
        foreach (var family in Families)
        {
            foreach (var key in family.SortedKeys())
            {
                var write = family.Writes[key];
                if (write.Kind == PendingKind.Put) batch.Put(family.Handle, key, write.Value);
                else if (write.Kind == PendingKind.Delete) batch.Delete(family.Handle, key);
                foreach (var operand in write.Operands ?? []) batch.Merge(family.Handle, key, operand);
            }
        }
    }

    internal sealed class Family(ColumnFamilyHandle handle)
    {
        public ColumnFamilyHandle Handle { get; } = handle;

        public Dictionary<byte[], PendingWrite> Writes { get; } = new(KeyBytesEquality.Instance);

        /// <summary>The keys in order; null once a key was added since it was worked out.</summary>
        public byte[][]? Sorted { get; set; }

        public byte[][] SortedKeys()
        {
            if (Sorted is { } sorted) return sorted;
            var cmp = Handle.Data.Comparator;
            sorted = [.. Writes.Keys];
            Array.Sort(sorted, (a, b) => cmp.CompareUser(a, b));
            return Sorted = sorted;
        }
    }
}
