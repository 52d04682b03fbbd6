namespace LatticeKV.Migrations;

/// <summary>A step failed after the checkpoint was taken: <see cref="LatticeDb.Open"/> rolls back and reports a <see cref="MigrationException"/>.</summary>
internal sealed class MigrationStepFailure(string stepName, Exception error) : Exception($"Migration step '{stepName}' failed.", error)
{
    public string StepName { get; } = stepName;
}
