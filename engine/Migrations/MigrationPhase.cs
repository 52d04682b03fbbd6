namespace LatticeKV;

/// <summary>Where a migration step stands (<see cref="MigrationProgress.Phase"/>). Stored: do not renumber.</summary>
public enum MigrationPhase
{
    /// <summary>The step's apply function is reading the old data and staging the new.</summary>
    Apply = 1,

    /// <summary>The staged output is being written to its families (the step's commit).</summary>
    Publish = 2,

    /// <summary>The output is published; the step's last actions and its version record remain.</summary>
    Finish = 3,
}
