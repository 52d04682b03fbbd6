namespace LatticeKV;

/// <summary>
/// Names a column family of an open database: a separate keyspace with its own memtable,
/// tables and options, sharing the write-ahead log (so a <see cref="WriteBatch"/> across
/// column families is atomic). Valid until the column family is dropped or the database closes.
/// </summary>
public sealed class ColumnFamilyHandle
{
    internal ColumnFamilyHandle(LatticeDb db, Db.ColumnFamilyData data)
    {
        Db = db;
        Data = data;
    }

    /// <summary>The column family's name ("default" for the default one).</summary>
    public string Name => Data.Name;

    /// <summary>The column family's numeric id, stored in the write-ahead log and MANIFEST.</summary>
    public uint Id => Data.Id;

    internal LatticeDb Db { get; }

    internal Db.ColumnFamilyData Data { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
