namespace LatticeKV;

/// <summary>A stored value its family's validator refuses (<see cref="LatticeDb.ValidateExisting"/>, <see cref="LatticeDb.VerifyIntegrity"/>).</summary>
public sealed class ValidationViolation
{
    internal ValidationViolation(string columnFamily, byte[] key, string reason, string keyText)
    {
        ColumnFamily = columnFamily;
        Key = key;
        Reason = reason;
        KeyText = keyText;
    }

    /// <summary>The column family's name.</summary>
    public string ColumnFamily { get; }

    /// <summary>The key whose value is refused.</summary>
    public byte[] Key { get; }

    /// <summary>Why the validator refuses it (for an encrypted family, without the value's contents).</summary>
    public string Reason { get; }

    /// <summary>The key as messages and tools print it (never shown for an encrypted family).</summary>
    public string KeyText { get; }

    /// <summary>"family: key: reason", safe to print (an encrypted family's key is not shown).</summary>
    public override string ToString() => $"{ColumnFamily}: {KeyText}: {Reason}";
}
