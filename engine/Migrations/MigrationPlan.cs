namespace LatticeKV.Migrations;

/// <summary>
/// Checks <see cref="DbOptions.Migrations"/> and works out which steps a database needs. What
/// the program knows of a family is the highest <see cref="Migration.ToVersion"/> the list
/// reaches for it; families the list never names are not checked (tools such as lkv open any
/// database).
/// </summary>
internal static class MigrationPlan
{
    /// <summary>
    /// The list on its own: names unique, and each family's steps a chain (each step starts at
    /// the version the previous one of that family, or the rename that produced it, ended at).
    /// </summary>
    /// <exception cref="InvalidArgumentException">A gap, an overlap or a repeated name.</exception>
    public static void Validate(IReadOnlyList<Migration> steps)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var last = new Dictionary<string, (int Version, string Step)>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            if (step is null) throw new InvalidArgumentException("DbOptions.Migrations must not hold null.", nameof(DbOptions.Migrations));
            if (!names.Add(step.Name)) throw new InvalidArgumentException($"Two migration steps are named '{step.Name}'.", nameof(DbOptions.Migrations));
            if (last.TryGetValue(step.ColumnFamily, out var previous) && previous.Version != step.FromVersion)
            {
                string kind = step.FromVersion > previous.Version ? "a gap" : "an overlap";
                throw new InvalidArgumentException($"Migrations of column family '{step.ColumnFamily}' have {kind}: '{previous.Step}' ends at version {previous.Version} but the next step, '{step.Name}', starts at {step.FromVersion}.", nameof(DbOptions.Migrations));
            }
            if (step.RenamesTo is { } target)
            {
                last.Remove(step.ColumnFamily);
                last[target] = (step.ToVersion, step.Name);
            }
            else
            {
                last[step.ColumnFamily] = (step.ToVersion, step.Name);
            }
        }
    }

    /// <summary>
    /// The steps still to run against <paramref name="stored"/> versions (absent = 0), in order.
    /// Throws before anything is written when a stored version is newer than the list knows or
    /// falls where no step starts.
    /// </summary>
    /// <exception cref="SchemaVersionException">A family's stored version is newer than the highest the list reaches.</exception>
    /// <exception cref="InvalidArgumentException">A stored version no step starts from (a gap between the database and the list).</exception>
    public static List<Migration> Pending(IReadOnlyList<Migration> steps, IReadOnlyDictionary<string, int> stored)
    {
        var known = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            known[step.ColumnFamily] = Math.Max(known.GetValueOrDefault(step.ColumnFamily), step.ToVersion);
            if (step.RenamesTo is { } target) known[target] = Math.Max(known.GetValueOrDefault(target), step.ToVersion);
        }
        foreach (var (family, version) in known)
            if (stored.GetValueOrDefault(family) > version) throw new SchemaVersionException(family, stored[family], version);

        // A committed rename moved the version record: the old name has none, the new one has it,
        // and the old name's steps up to the rename are done.
        var renamedAway = new HashSet<Migration>();
        for (int i = 0; i < steps.Count; i++)
        {
            if (steps[i].RenamesTo is not { } target || stored.GetValueOrDefault(steps[i].ColumnFamily) != 0 || stored.GetValueOrDefault(target) < steps[i].ToVersion) continue;
            for (int j = 0; j <= i; j++)
                if (steps[j].ColumnFamily == steps[i].ColumnFamily) renamedAway.Add(steps[j]);
        }
        var current = new Dictionary<string, int>(stored, StringComparer.Ordinal);
        var pending = new List<Migration>();
        foreach (var step in steps)
        {
            int version = current.GetValueOrDefault(step.ColumnFamily);
            if (step.ToVersion <= version || renamedAway.Contains(step)) continue; // committed before
            if (step.FromVersion != version)
                throw new InvalidArgumentException($"Column family '{step.ColumnFamily}' is at schema version {version}, but the next migration step, '{step.Name}', starts at {step.FromVersion}: no step takes it from {version}.", nameof(DbOptions.Migrations));
            pending.Add(step);
            if (step.RenamesTo is { } target)
            {
                current.Remove(step.ColumnFamily);
                current[target] = step.ToVersion;
            }
            else
            {
                current[step.ColumnFamily] = step.ToVersion;
            }
        }
        return pending;
    }
}
