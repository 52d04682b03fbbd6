using System.Runtime.CompilerServices;

namespace LatticeKV.Integrity;

/// <summary>
/// The validators' part of <see cref="LatticeDb.VerifyIntegrity"/>: every value of every family
/// with a validator, judged by it as of the report's snapshot. A family whose validator includes
/// code this program lacks (a delegate or a class of the application, stored by name only) is not
/// checkable rather than wholly refused. Memory is bounded by the violations listed.
/// </summary>
internal static class StoredValidatorsCheck
{
    public static List<ValidationViolation> Violations(LatticeDb db, Snapshot snapshot, int limit, List<string> notCheckable, out long found, out long values)
    {
        var listed = new List<ValidationViolation>();
        var judged = new StrongBox<long>();
        found = 0;
        foreach (var cf in db.ColumnFamilies.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            if (cf.Data.Options.EnforcedValidator is not { } validator) continue;
            if (ValidatorCodec.Missing(validator).FirstOrDefault() is { } missing)
            {
                notCheckable.Add($"column family '{cf.Name}': its validator includes {missing.What}, which was not given at open (ColumnFamilyOptions.Validator)");
                continue;
            }
            foreach (var violation in ExistingValues.Violations(db, cf.Data, validator, snapshot, judged))
            {
                found++;
                if (listed.Count < limit) listed.Add(violation);
            }
        }
        values = judged.Value;
        return listed;
    }
}
