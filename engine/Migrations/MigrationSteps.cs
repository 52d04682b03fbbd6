namespace LatticeKV;

/// <summary>
/// Built-in migration steps for <see cref="DbOptions.Migrations"/>. Each takes the family whose
/// version it advances, the versions it goes from and to, and an optional name (default: the
/// kind of step, the family and the versions).
/// </summary>
/// <remarks>
/// Steps that add a validator or a foreign key (with its verification pass) belong here beside
/// <see cref="AddIndex"/>; they come with the validation and foreign-key parts of the engine.
/// </remarks>
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

    private static void Copy(MigrationContext ctx, string family, string target)
    {
        if (!ctx.TryGetFamily(family, out var source)) throw new ColumnFamilyNotFoundException(family);
        var copy = ctx.CreateFamily(target, source.Data.Options);
        ctx.ForEach(source, (key, value, writer) => writer.Put(copy, key, value));
    }
}
