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
        Violations = [];
    }

    /// <summary>Existing values refused (a migration step's verification): <see cref="Key"/> and <see cref="Reason"/> are the first's.</summary>
    internal ValidationException(string message, IReadOnlyList<ValidationViolation> violations, long violationCount)
        : this(message, violations[0].ColumnFamily, violations[0].Key, violations[0].Reason)
    {
        Violations = violations;
        ViolationCount = violationCount;
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

    /// <summary>
    /// From <c>MigrationSteps.AddValidator</c>: the existing values refused, up to a limit
    /// (<see cref="ViolationCount"/> counts them all); empty for a refused write.
    /// </summary>
    public IReadOnlyList<ValidationViolation> Violations { get; }

    /// <summary>Every existing value refused, listed in <see cref="Violations"/> or not (0 for a refused write).</summary>
    public long ViolationCount { get; }
}
