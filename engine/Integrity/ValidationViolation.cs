namespace LatticeKV;

/// <summary>A stored value its family's validator refuses (<see cref="LatticeDb.ValidateExisting"/>).</summary>
public sealed class ValidationViolation
{
    internal ValidationViolation(string columnFamily, byte[] key, string reason)
    {
        ColumnFamily = columnFamily;
        Key = key;
        Reason = reason;
    }

    /// <summary>The column family's name.</summary>
    public string ColumnFamily { get; }

    /// <summary>The key whose value is refused.</summary>
    public byte[] Key { get; }

    /// <summary>Why the validator refuses it (for an encrypted family, without the value's contents).</summary>
    public string Reason { get; }
}
