using LatticeKV.Db;

namespace LatticeKV.Integrity;

/// <summary>
/// For the remote apply (sync): judges a peer's value for a key of a family with the family's
/// validator before it is applied, so a refused change can be quarantined instead of failing the
/// apply. Never throws for a refusal or a validator's failure.
/// </summary>
internal static class RemoteChangeValidation
{
    /// <summary>
    /// Null when <paramref name="value"/> may be applied under <paramref name="key"/> of
    /// <paramref name="family"/> (it has no validator, or it accepts); else the reason, worded as
    /// in <see cref="ValidationException"/> (an encrypted family's reason quotes neither the key
    /// nor the value). A deletion needs no judging. A family whose validator includes one the
    /// program did not give at open (a delegate) refuses every value, with that as the reason.
    /// </summary>
    public static string? Rejection(ColumnFamilyData family, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        => FamilyValidation.Rejection(family, key, value);

    /// <summary>Whether <paramref name="family"/> judges values at all (it has a validator, given or stored).</summary>
    public static bool Judges(ColumnFamilyData family) => family.Options.EnforcedValidator is not null;
}
