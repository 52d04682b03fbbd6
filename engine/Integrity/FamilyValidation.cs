using LatticeKV.Db;

namespace LatticeKV.Integrity;

/// <summary>Judges values against a column family's validator and words its refusals (never quoting an encrypted family's key or value).</summary>
internal static class FamilyValidation
{
    /// <summary>Null when the family has no validator or it accepts the value; else the reason.</summary>
    public static string? Rejection(ColumnFamilyData cfd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => cfd.Options.EnforcedValidator is { } validator ? ValidatorRun.Rejection(validator, key, value, cfd.Options.Encrypted) : null;

    /// <summary>Throws <see cref="ValidationException"/> when the family's validator refuses the value.</summary>
    public static void Check(ColumnFamilyData cfd, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (Rejection(cfd, key, value) is { } reason) throw Refused(cfd, key, reason);
    }

    public static ValidationException Refused(ColumnFamilyData cfd, ReadOnlySpan<byte> key, string reason)
        => new($"Column family '{cfd.Name}' refused the value of {KeyText.Describe(key, cfd.Options.Encrypted)}: {reason}. Nothing of the write was applied.",
            cfd.Name, key.ToArray(), reason);
}
