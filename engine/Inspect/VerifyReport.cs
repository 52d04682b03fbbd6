namespace LatticeKV.Inspect;

/// <summary>What <see cref="DatabaseVerifier.Verify(string, Action{VerifyProgress}?, KeyComparator?)"/> found.</summary>
public sealed class VerifyReport
{
    /// <summary>Every problem, one per damaged file or region.</summary>
    public required IReadOnlyList<VerifyProblem> Problems { get; init; }
    /// <summary>Observations that are not damage (unreferenced files left by an interrupted job, a torn log tail).</summary>
    public required IReadOnlyList<string> Notes { get; init; }
    /// <summary>Tables read completely.</summary>
    public int TablesChecked { get; init; }
    /// <summary>Write-ahead logs read.</summary>
    public int LogsChecked { get; init; }
    /// <summary>Entries read from tables and logs.</summary>
    public long EntriesChecked { get; init; }
    /// <summary>Bytes read.</summary>
    public long BytesChecked { get; init; }
    /// <summary>
    /// Tables <see cref="DatabaseVerifier.VerifyAndRepair"/> tried to heal from the backup: those
    /// healed (no longer problems) and those it could not (still in <see cref="Problems"/>). Empty for a plain verification.
    /// </summary>
    public IReadOnlyList<TableHealing> Healings { get; init; } = [];
    /// <summary>
    /// Every healing the database's journal (<c>HEALINGS</c>) records, oldest first: those a running
    /// database did from its backup (<see cref="DbOptions.RecoverFromBackup"/>) and earlier repairs.
    /// </summary>
    public IReadOnlyList<TableHealing> RecordedHealings { get; init; } = [];
    /// <summary>True when no problem was found.</summary>
    public bool IsHealthy => Problems.Count == 0;
}
