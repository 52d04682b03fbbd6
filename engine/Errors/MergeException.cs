namespace LatticeKV;

/// <summary>
/// A merge operator could not combine a key's operands when it was read (an
/// <see cref="MergeOperators.Int64Add"/> sum overflowed, an operand was malformed), or the
/// column family holds operands but was opened without its operator. Flushes and compactions
/// never fail this way: they keep such operands as they are.
/// </summary>
public class MergeException : LatticeException
{
    /// <summary>Creates the error for a key of <paramref name="columnFamily"/>.</summary>
    public MergeException(string message, string columnFamily, Exception? innerException = null) : base(message, innerException)
        => ColumnFamily = columnFamily;

    /// <summary>The column family the key belongs to.</summary>
    public string ColumnFamily { get; }
}
