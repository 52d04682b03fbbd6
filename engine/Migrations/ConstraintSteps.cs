using LatticeKV.Coding;
using LatticeKV.Integrity;

namespace LatticeKV.Migrations;

/// <summary>
/// The bodies of <see cref="MigrationSteps.AddValidator"/> and <see cref="MigrationSteps.AddForeignKey"/>:
/// each verifies the existing data and throws (failing the step, so the migration rolls back)
/// when it breaks the constraint. Both are safe to repeat, as a step resumed after a crash repeats its apply function.
/// </summary>
internal static class ConstraintSteps
{
    /// <summary>Violations a failing step lists (all are counted).</summary>
    public const int MaxListed = 100;

    /// <summary>Violations its message quotes.</summary>
    private const int MaxQuoted = 5;

    /// <summary>
    /// Throws unless <paramref name="family"/> is opened with <paramref name="validator"/> (so it is
    /// enforced once the step commits) and every existing value passes it.
    /// </summary>
    public static void VerifyValidator(MigrationContext ctx, string family, IValueValidator validator)
    {
        var cf = ctx.Family(family);
        string wanted = ValidatorCodec.Describe(validator);
        string? given = cf.Data.Options.EnforcedValidator is { } enforced ? ValidatorCodec.Describe(enforced) : null;
        if (given != wanted)
            throw new InvalidArgumentException(
                $"Column family '{family}' is opened {(given is null ? "without a validator" : "with another validator")}: give the step's validator ({wanted}) in its ColumnFamilyOptions.Validator, so that it is enforced once the step commits.",
                nameof(validator));
        var listed = new List<ValidationViolation>();
        long total = 0;
        foreach (var violation in ctx.Database.ValidateExisting(cf, validator))
        {
            total++;
            if (listed.Count < MaxListed) listed.Add(violation);
        }
        if (total == 0) return;
        string quoted = string.Join("; ", listed.Take(MaxQuoted));
        throw new ValidationException(
            $"{total} existing value{(total == 1 ? "" : "s")} of column family '{family}' break{(total == 1 ? "s" : "")} the validator ({quoted}{(total > MaxQuoted ? "; ..." : "")}).",
            listed, total);
    }

    /// <summary>
    /// Adds the foreign key (<see cref="LatticeDb.AddForeignKey"/> verifies the existing data and
    /// throws <see cref="ReferentialIntegrityException"/> with every violation). A key already
    /// there with the same definition (a step resumed after a crash) is kept; another definition
    /// under the name fails the step.
    /// </summary>
    public static void AddForeignKey(MigrationContext ctx, string childFamily, string foreignKey, IndexExtractor parentKey, string parentFamily, ForeignKeyAction onDelete)
    {
        var db = ctx.Database;
        var definition = new ForeignKeyDefinition
        {
            Name = foreignKey,
            ChildFamily = ctx.Family(childFamily),
            ParentKey = parentKey,
            ParentFamily = ctx.Family(parentFamily),
            OnDelete = onDelete,
        };
        if (db.ListForeignKeys().FirstOrDefault(k => k.Name == foreignKey) is not { } existing)
        {
            db.AddForeignKey(definition);
            return;
        }
        if (!Same(existing, definition))
            throw new InvalidArgumentException($"Foreign key '{foreignKey}' already exists with another definition: drop it first.", nameof(foreignKey));
    }

    private static bool Same(ForeignKeyDefinition a, ForeignKeyDefinition b)
        => a.ChildFamily.Name == b.ChildFamily.Name && a.ParentFamily.Name == b.ParentFamily.Name && a.OnDelete == b.OnDelete
            && Description(a.ParentKey).SequenceEqual(Description(b.ParentKey));

    private static byte[] Description(IndexExtractor extractor)
    {
        var w = new ByteWriter();
        extractor.Describe(w);
        return w.ToArray();
    }
}
