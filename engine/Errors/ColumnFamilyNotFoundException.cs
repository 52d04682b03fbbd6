namespace LatticeKV;

/// <summary>A column family name or handle that does not exist in this database (or was dropped).</summary>
public sealed class ColumnFamilyNotFoundException : InvalidArgumentException
{
    /// <summary>Creates the error for a column family name.</summary>
    public ColumnFamilyNotFoundException(string name) : base($"Column family '{name}' does not exist.", "columnFamily") => Name = name;

    /// <summary>The column family name that was not found.</summary>
    public string Name { get; }
}
