namespace LatticeKV;

/// <summary>
/// A migration step of <see cref="DbOptions.Migrations"/> failed at open. The database was rolled
/// back to the checkpoint taken before the first step (every family as it was) and closed;
/// <see cref="Exception.InnerException"/> is the step's original error.
/// </summary>
public class MigrationException : LatticeException
{
    /// <summary>Creates the error for the step named <paramref name="stepName"/>.</summary>
    public MigrationException(string stepName, Exception innerException)
        : base($"Migration step '{stepName}' failed; the database was rolled back to its state before the migration: {innerException.Message}", innerException)
        => StepName = stepName;

    /// <summary>The <see cref="Migration.Name"/> of the step that failed.</summary>
    public string StepName { get; }
}
