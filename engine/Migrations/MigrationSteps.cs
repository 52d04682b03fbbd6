using LatticeKV.Migrations;

namespace LatticeKV;

/// <summary>
/// Built-in migration steps for <see cref="DbOptions.Migrations"/>. Each takes the family whose
/// version it advances, the versions it goes from and to, and an optional name (default: the
/// kind of step, the family and the versions).
/// </summary>
public static class MigrationSteps
{
    /// <summary>Copies every entry of <paramref name="family"/> into <paramref name="target"/>, created with the source's options when absent.</summary>
    public static Migration CopyFamily(string family, int fromVersion, int toVersion, string target, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        return new Migration(family, fromVersion, toVersion, name ?? $"copy {family} to {target} {fromVersion}->{toVersion}", ctx => Copy(ctx, family, target));
    }

    /// <summary>
    /// Renames <paramref name="family"/> to <paramref name="newName"/>: its entries are copied into a
    /// new family (created with its options), published when the step commits, then the old family
    /// is dropped and its schema version record moves to the new name (later steps name
    /// <paramref name="newName"/>). A crash anywhere resumes to the end; a failure rolls back. An
    /// indexed family cannot be renamed (drop its indexes first).
    /// </summary>
    public static Migration RenameFamily(string family, int fromVersion, int toVersion, string newName, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (newName == family) throw new InvalidArgumentException("A family cannot be renamed to its own name.", nameof(newName));
        return new Migration(family, fromVersion, toVersion, name ?? $"rename {family} to {newName} {fromVersion}->{toVersion}", ctx => Copy(ctx, family, newName))
        {
            RenamesTo = newName,
            OnCommit = db =>
            {
                if (db.TryGetColumnFamily(family, out var old)) db.DropColumnFamily(old);
            },
        };
    }

    /// <summary>Replaces every value of <paramref name="family"/> with what <paramref name="transform"/> returns for it (null deletes the entry).</summary>
    public static Migration TransformValues(string family, int fromVersion, int toVersion, MigrationValueTransform transform, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(transform);
        return new Migration(family, fromVersion, toVersion, name ?? $"transform {family} {fromVersion}->{toVersion}", ctx =>
        {
            if (!ctx.TryGetFamily(family, out var cf)) return;
            ctx.ForEach(cf, (key, value, writer) =>
            {
                if (transform(key, value) is { } changed) writer.Put(cf, key, changed);
                else writer.Delete(cf, key);
            });
        });
    }

    /// <summary>
    /// Creates the index <paramref name="definition"/> on <paramref name="family"/> through
    /// <see cref="LatticeDb.CreateIndex"/> (an online build: new writes maintain it at once) and
    /// waits until it is ready; the step fails, and the migration rolls back, when the build fails
    /// (existing data breaking a unique constraint).
    /// </summary>
    public static Migration AddIndex(string family, int fromVersion, int toVersion, IndexDefinition definition, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return new Migration(family, fromVersion, toVersion, name ?? $"add index {definition.Name} {fromVersion}->{toVersion}", ctx =>
        {
            var db = ctx.Database;
            var index = db.ListIndexes().FirstOrDefault(i => i.Name == definition.Name) ?? db.CreateIndex(ctx.Family(family), definition);
            index.WaitUntilReady(Timeout.InfiniteTimeSpan);
            if (index.State != IndexState.Ready)
                throw new InvalidArgumentException($"Index '{definition.Name}' could not be built ({index.State}): the existing data breaks its constraint.", nameof(definition));
        });
    }

    /// <summary>Drops the index <paramref name="indexName"/> if it exists.</summary>
    public static Migration DropIndex(string family, int fromVersion, int toVersion, string indexName, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(indexName);
        return new Migration(family, fromVersion, toVersion, name ?? $"drop index {indexName} {fromVersion}->{toVersion}", ctx =>
        {
            var db = ctx.Database;
            if (db.ListIndexes().FirstOrDefault(i => i.Name == indexName) is { } index) db.DropIndex(index);
        });
    }

    /// <summary>
    /// Verifies every existing value of <paramref name="family"/> against <paramref name="validator"/>
    /// (<see cref="LatticeDb.ValidateExisting"/>, one snapshot, bounded memory) and fails, so the
    /// migration rolls back, when any is refused: the <see cref="MigrationException"/>'s inner
    /// <see cref="ValidationException"/> lists them (<see cref="ValidationException.Violations"/>,
    /// the first 100; <see cref="ValidationException.ViolationCount"/> counts all).
    /// </summary>
    /// <remarks>
    /// The step only verifies: it does not store the validator. The program gives the same
    /// validator in the family's <see cref="ColumnFamilyOptions.Validator"/> at every open from the
    /// release that adds this step on, which stores it and enforces it on every write, the
    /// migration's own included (an earlier step that reshapes the values must produce values it
    /// accepts). The step fails when the family is opened without that validator or with another
    /// (compared by stored description), so a committed step always leaves it enforced. The family
    /// must exist when the database is opened (not created by an earlier step of the same open).
    /// Safe to repeat: a step resumed after a crash verifies again.
    /// </remarks>
    /// <example>
    /// <code>
    /// var schema = ValueValidators.JsonSchema(accountSchema);
    /// options.ColumnFamilyOptions["accounts"] = new ColumnFamilyOptions { Validator = schema };
    /// options.Migrations.Add(MigrationSteps.AddValidator("accounts", 2, 3, schema));
    /// </code>
    /// </example>
    public static Migration AddValidator(string family, int fromVersion, int toVersion, IValueValidator validator, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(validator);
        return new Migration(family, fromVersion, toVersion, name ?? $"add validator to {family} {fromVersion}->{toVersion}",
            ctx => ConstraintSteps.VerifyValidator(ctx, family, validator));
    }

    /// <summary>
    /// Adds the foreign key <paramref name="foreignKey"/> from <paramref name="family"/> (the child)
    /// to <paramref name="parentFamily"/> through <see cref="LatticeDb.AddForeignKey"/>, which
    /// verifies the existing data first: when any child lacks its parent the step fails and the
    /// migration rolls back, the inner <see cref="ReferentialIntegrityException"/> listing every
    /// violation. Once the step commits the key is stored and enforced (no option to give at later
    /// opens, except a custom extractor in <see cref="DbOptions.IndexExtractors"/>). Safe to
    /// repeat: a key already there with the same definition (a step resumed after a crash) is
    /// kept; one with another definition fails the step.
    /// </summary>
    public static Migration AddForeignKey(string family, int fromVersion, int toVersion, string foreignKey, IndexExtractor parentKey, string parentFamily,
        ForeignKeyAction onDelete = ForeignKeyAction.Restrict, string? name = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(foreignKey);
        ArgumentNullException.ThrowIfNull(parentKey);
        ArgumentException.ThrowIfNullOrEmpty(parentFamily);
        return new Migration(family, fromVersion, toVersion, name ?? $"add foreign key {foreignKey} {fromVersion}->{toVersion}",
            ctx => ConstraintSteps.AddForeignKey(ctx, family, foreignKey, parentKey, parentFamily, onDelete));
    }

    private static void Copy(MigrationContext ctx, string family, string target)
    {
        if (!ctx.TryGetFamily(family, out var source)) throw new ColumnFamilyNotFoundException(family);
        var copy = ctx.CreateFamily(target, source.Data.Options);
        ctx.ForEach(source, (key, value, writer) => writer.Put(copy, key, value));
    }
}
