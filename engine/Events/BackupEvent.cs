using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>The database took part in a backup: an automatic backup (<see cref="DbOptions.AutoBackup"/>) was created, or failed.</summary>
/// <param name="Action">What happened: <c>created</c> or <c>failed</c>.</param>
/// <param name="BackupId">The backup's id, or 0 when it failed.</param>
/// <param name="Bytes">Bytes copied.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Detail">The error message of a failure, or empty.</param>
public sealed record BackupEvent(string Action, int BackupId, long Bytes, TimeSpan Duration, string Detail) : LatticeEvent
{
    /// <summary><see cref="Action"/> of a backup created.</summary>
    public const string Created = "created";

    /// <summary><see cref="Action"/> of a backup that failed.</summary>
    public const string Failed = "failed";

    /// <inheritdoc/>
    public override EventKind Kind => EventKind.Backup;

    /// <inheritdoc/>
    public override LogLevel LogLevel => Action == Failed ? LogLevel.Warning : LogLevel.Information;

    /// <inheritdoc/>
    public override string Describe() => Action == Failed
        ? $"backup failed after {Duration.TotalMilliseconds:F0} ms: {Detail}"
        : $"backup {BackupId} {Action}: {Bytes} bytes in {Duration.TotalMilliseconds:F0} ms";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("action", Action);
        writer.WriteNumber("backup_id", BackupId);
        writer.WriteNumber("bytes", Bytes);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
        writer.WriteString("detail", Detail);
    }
}
