namespace LatticeKV;

/// <summary>
/// A column family's validator (<see cref="ColumnFamilyOptions.Validator"/>) refused a value:
/// nothing of the write (the whole batch or transaction) was applied. The message names the
/// family, the key (not shown for an encrypted family) and the reason.
/// </summary>
public sealed class ValidationException : LatticeException
{
    internal ValidationException(string message, string columnFamily, byte[] key, string reason) : base(message)
    {
        ColumnFamily = columnFamily;
        Key = key;
        Reason = reason;
    }

    /// <summary>The column family whose validator refused the value.</summary>
    public string ColumnFamily { get; }

    /// <summary>
    /// The key of the refused value. For an encrypted family it is kept here, for the caller who
    /// wrote it, and never put in the message.
    /// </summary>
    public byte[] Key { get; }

    /// <summary>The validator's reason.</summary>
    public string Reason { get; }
}
