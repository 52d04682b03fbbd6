using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>
/// The engine worked around damage instead of failing: write-ahead log records dropped at
/// recovery (as <see cref="DbOptions.WalRecoveryMode"/> allows), or a damaged table replaced from
/// a backup (<see cref="DbOptions.RecoverFromBackup"/>), or such a replacement that failed.
/// </summary>
/// <param name="Action">What was done: <c>wal-records-dropped</c>, <c>table-healed</c> or <c>table-heal-failed</c>.</param>
/// <param name="File">The file acted on.</param>
/// <param name="Count">Records dropped, or 1 for a table.</param>
/// <param name="Detail">Why, and how (error messages without key bytes).</param>
public sealed record RecoveryActionEvent(string Action, string File, long Count, string Detail) : LatticeEvent
{
    /// <summary><see cref="Action"/> when write-ahead log records were dropped at recovery.</summary>
    public const string WalRecordsDropped = "wal-records-dropped";

    /// <summary><see cref="Action"/> when a damaged table was replaced from a backup.</summary>
    public const string TableHealed = "table-healed";

    /// <summary><see cref="Action"/> when no backup could replace a damaged table.</summary>
    public const string TableHealFailed = "table-heal-failed";

    /// <inheritdoc/>
    public override EventKind Kind => EventKind.RecoveryAction;

    /// <inheritdoc/>
    public override LogLevel LogLevel => Action == TableHealFailed ? LogLevel.Error : LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe() => $"recovery action {Action} on '{File}' ({Count}): {Detail}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("action", Action);
        writer.WriteString("file", File);
        writer.WriteNumber("count", Count);
        writer.WriteString("detail", Detail);
    }
}
