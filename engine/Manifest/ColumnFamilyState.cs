namespace LatticeKV.Manifest;

/// <summary>The MANIFEST-level state of one column family: its files, WAL horizon and stored options.</summary>
internal sealed class ColumnFamilyState(uint id, string name, LsmVersion current)
{
    private LsmVersion _current = current;

    public uint Id { get; } = id;

    public string Name { get; } = name;

    /// <summary>WAL files numbered below this hold nothing of this column family that is not in tables.</summary>
    public long LogNumber { get; set; }

    /// <summary>Options persisted with the column family (encoded by the database layer).</summary>
    public byte[]? Options { get; set; }

    public bool Dropped { get; set; }

    /// <summary>The newest version. Replaced under the manifest lock and the database mutex.</summary>
    public LsmVersion Current
    {
        get => Volatile.Read(ref _current);
        set => Volatile.Write(ref _current, value);
    }
}
