namespace LatticeKV;

/// <summary>
/// One step of a schema migration (<see cref="DbOptions.Migrations"/>): it takes
/// <see cref="ColumnFamily"/> from schema version <see cref="FromVersion"/> to
/// <see cref="ToVersion"/>. <see cref="LatticeDb.Open"/> runs, in list order, every step whose
/// family's stored version (<see cref="LatticeDb.GetSchemaVersion"/>) is at its
/// <see cref="FromVersion"/>, after recovery and before it returns. Built-in steps are in
/// <see cref="MigrationSteps"/>.
/// </summary>
/// <remarks>
/// <see cref="Apply"/> may run more than once when a crash interrupts it: what it writes goes
/// through <see cref="MigrationContext.ForEach"/>, which resumes where the last committed batch
/// stopped, so every entry's output is committed exactly once. Anything else it does (creating a
/// family or an index) must be safe to repeat.
/// </remarks>
/// <example>
/// <code>
/// options.Migrations.Add(new Migration("accounts", 1, 2, "split name", ctx =>
///     ctx.ForEach(ctx.Family("accounts"), (key, value, writer) =>
///         writer.Put(ctx.Family("accounts"), key, SplitName(value)))));
/// </code>
/// </example>
public sealed class Migration
{
    /// <summary>Creates a step; <paramref name="apply"/> reads the old data and writes the new through its context.</summary>
    /// <exception cref="InvalidArgumentException">A name is empty, a version negative, or <paramref name="toVersion"/> not above <paramref name="fromVersion"/>.</exception>
    public Migration(string columnFamily, int fromVersion, int toVersion, string name, Action<MigrationContext> apply)
    {
        if (string.IsNullOrEmpty(columnFamily)) throw new InvalidArgumentException("A migration must name its column family.", nameof(columnFamily));
        if (string.IsNullOrEmpty(name) || name.Length > 255) throw new InvalidArgumentException("A migration's name must be 1 to 255 characters.", nameof(name));
        if (fromVersion < 0) throw new InvalidArgumentException($"Migration '{name}': FromVersion must not be negative.", nameof(fromVersion));
        if (toVersion <= fromVersion) throw new InvalidArgumentException($"Migration '{name}': ToVersion ({toVersion}) must be above FromVersion ({fromVersion}).", nameof(toVersion));
        ArgumentNullException.ThrowIfNull(apply);
        ColumnFamily = columnFamily;
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Name = name;
        Apply = apply;
    }

    /// <summary>The family whose schema version this step advances.</summary>
    public string ColumnFamily { get; }

    /// <summary>The stored version this step starts from.</summary>
    public int FromVersion { get; }

    /// <summary>The version the family has once this step has committed.</summary>
    public int ToVersion { get; }

    /// <summary>Names the step in progress reports, <c>lkv migrate --status</c> and <see cref="MigrationException"/>; unique in the list.</summary>
    public string Name { get; }

    /// <summary>Reads the old data and writes the new (staged until the step commits).</summary>
    public Action<MigrationContext> Apply { get; }

    /// <summary>
    /// Set by a rename: the family's version record moves to this name when the step commits
    /// (later steps of the renamed family name it so).
    /// </summary>
    internal string? RenamesTo { get; init; }

    /// <summary>Runs once the step's output is published, before its version is recorded; must be safe to repeat (a crash may interrupt it).</summary>
    internal Action<LatticeDb>? OnCommit { get; init; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({ColumnFamily} {FromVersion}->{ToVersion})";
}
