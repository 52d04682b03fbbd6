namespace LatticeKV.Transactions;

/// <summary>
/// A transaction's writes, per column family in key order (the family's comparator), one
/// <see cref="PendingWrite"/> per key: what its reads see first and what its commit writes.
/// </summary>
internal sealed class WriteBuffer
{
    private readonly Dictionary<uint, Family> _families = [];

    public IEnumerable<Family> Families => _families.Values;

    public bool IsEmpty => _families.Count == 0;

    public PendingWrite? Find(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        if (!_families.TryGetValue(columnFamily.Id, out var family)) return null;
        int i = family.IndexOf(key);
        return i >= 0 ? family.Writes[i] : null;
    }

    /// <summary>The entry of <paramref name="key"/>, created (with no operation yet) when absent.</summary>
    public PendingWrite GetOrAdd(ColumnFamilyHandle columnFamily, ReadOnlySpan<byte> key)
    {
        if (!_families.TryGetValue(columnFamily.Id, out var family)) _families[columnFamily.Id] = family = new Family(columnFamily);
        int i = family.IndexOf(key);
        if (i >= 0) return family.Writes[i];
        var write = new PendingWrite();
        family.Keys.Insert(~i, key.ToArray());
        family.Writes.Insert(~i, write);
        return write;
    }

    /// <summary>The writes of one column family, in key order, as they are now (a copy).</summary>
    public (byte[][] Keys, PendingWrite[] Writes) CopyOf(ColumnFamilyHandle columnFamily)
        => _families.TryGetValue(columnFamily.Id, out var family) ? ([.. family.Keys], [.. family.Writes]) : ([], []);

    /// <summary>Appends every write to <paramref name="batch"/>: per key its put or deletion, then its merge operands.</summary>
    public void AppendTo(WriteBatch batch)
    {
        foreach (var family in _families.Values)
        {
            for (int i = 0; i < family.Keys.Count; i++)
            {
                var key = family.Keys[i];
                var write = family.Writes[i];
                if (write.Kind == PendingKind.Put) batch.Put(family.Handle, key, write.Value);
                else if (write.Kind == PendingKind.Delete) batch.Delete(family.Handle, key);
                foreach (var operand in write.Operands ?? []) batch.Merge(family.Handle, key, operand);
            }
        }
    }

    internal sealed class Family(ColumnFamilyHandle handle)
    {
        public ColumnFamilyHandle Handle { get; } = handle;

        // Parallel lists in key order: binary search needs the keys alone.
        public List<byte[]> Keys { get; } = [];

        public List<PendingWrite> Writes { get; } = [];

        /// <summary>The index of <paramref name="key"/>, or the complement of where it would go.</summary>
        public int IndexOf(ReadOnlySpan<byte> key)
        {
            var cmp = Handle.Data.Comparator;
            int lo = 0, hi = Keys.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                int c = cmp.CompareUser(Keys[mid], key);
                if (c == 0) return mid;
                if (c < 0) lo = mid + 1;
                else hi = mid - 1;
            }
            return ~lo;
        }
    }
}
