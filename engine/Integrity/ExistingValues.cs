using System.Runtime.CompilerServices;
using LatticeKV.Db;

namespace LatticeKV.Integrity;

/// <summary>
/// Checks every value of a family, at one snapshot, against a validator (<see cref="LatticeDb.ValidateExisting"/>):
/// one iterator and one value at a time, so memory stays bounded whatever the family holds.
/// </summary>
internal static class ExistingValues
{
    public static IEnumerable<ValidationViolation> Violations(LatticeDb db, ColumnFamilyData cfd, IValueValidator validator)
    {
        using var snapshot = db.GetSnapshot();
        foreach (var violation in Violations(db, cfd, validator, snapshot, checkedValues: null)) yield return violation;
    }

    /// <summary>As above, at <paramref name="snapshot"/>; counts the values judged in <paramref name="checkedValues"/> when given.</summary>
    public static IEnumerable<ValidationViolation> Violations(LatticeDb db, ColumnFamilyData cfd, IValueValidator validator, Snapshot snapshot, StrongBox<long>? checkedValues)
    {
        bool confidential = cfd.Options.Encrypted;
        using var it = db.NewIterator(cfd.Handle!, new ReadOptions { Snapshot = snapshot, FillCache = false });
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            if (checkedValues is not null) checkedValues.Value++;
            if (ValidatorRun.Rejection(validator, it.Key, it.Value, confidential) is { } reason)
                yield return new ValidationViolation(cfd.Name, it.Key.ToArray(), reason, KeyText.Describe(it.Key, confidential));
        }
    }
}
