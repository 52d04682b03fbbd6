namespace LatticeKV;

/// <summary>
/// The migration step in progress (<see cref="LatticeDb.MigrationInProgress"/>,
/// <see cref="DbOptions.OnMigrationProgress"/>): what a crash would resume from.
/// </summary>
/// <param name="StepName">The <see cref="Migration.Name"/> of the running step.</param>
/// <param name="Phase">Where the step stands.</param>
/// <param name="Pass">The <see cref="MigrationContext.ForEach"/> pass (0-based) under way in <see cref="MigrationPhase.Apply"/>.</param>
/// <param name="Position">The last key whose output is committed in the current pass, or null at its start (a user key of possibly encrypted data: never log it).</param>
/// <param name="EntriesDone">Entries the step has processed and committed (apply passes and publishing together).</param>
public sealed record MigrationProgress(string StepName, MigrationPhase Phase, int Pass, byte[]? Position, long EntriesDone);
