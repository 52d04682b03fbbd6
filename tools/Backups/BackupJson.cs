using System.Globalization;
using System.Text.Json;
using LatticeKV.Tool.Report;

namespace LatticeKV.Tool.Backups;

/// <summary>The JSON shapes of <c>lkv backup</c> (README, "Backups"): snake_case, like every lkv JSON.</summary>
public static class BackupJson
{
    public static Dictionary<string, object?> Info(BackupInfo b) => new()
    {
        ["id"] = b.Id,
        ["timestamp"] = Time(b.Timestamp),
        ["sequence"] = b.Sequence,
        ["size"] = b.Size,
        ["new_bytes"] = b.NewBytes,
        ["file_count"] = b.FileCount,
        ["metadata"] = b.Metadata,
        ["database_id"] = b.DatabaseId,
        ["timeline"] = b.Timeline,
        ["encrypted"] = b.Encrypted,
    };

    /// <summary>ISO 8601 in UTC, to the millisecond.</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static void Write(Dictionary<string, object?> value) => Console.Out.WriteLine(JsonSerializer.Serialize(value, JsonModel.Options));
}
