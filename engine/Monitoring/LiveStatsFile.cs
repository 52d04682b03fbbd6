using System.Text.Json;
using System.Text.Json.Serialization;
using LatticeKV.Io;

namespace LatticeKV.Monitoring;

/// <summary>
/// What an open database publishes for <c>lkv stats DB --watch</c>: counters, per-family sizes and
/// the values other parts contribute (latency quantiles, active alerts). Numbers and family names
/// only, never keys or values.
/// </summary>
internal sealed class LiveStats
{
    /// <summary>Layout version of the JSON; only goes up.</summary>
    [JsonPropertyName("version")] public int Version { get; set; } = LiveStatsFile.Version;

    /// <summary>When it was written (Unix milliseconds of <see cref="DbOptions.Clock"/>).</summary>
    [JsonPropertyName("time_ms")] public long TimeMs { get; set; }

    /// <summary>How often it is rewritten, in milliseconds: a reader treats it as stale after a few intervals.</summary>
    [JsonPropertyName("interval_ms")] public long IntervalMs { get; set; }

    [JsonPropertyName("pid")] public int ProcessId { get; set; }

    /// <summary><see cref="LatticeDb.GetStatistics"/>.</summary>
    [JsonPropertyName("counters")] public Dictionary<string, long> Counters { get; set; } = [];

    /// <summary>Numeric properties per column family (<see cref="LatticeDb.GetProperty(ColumnFamilyHandle, string)"/>).</summary>
    [JsonPropertyName("families")] public Dictionary<string, Dictionary<string, long>> Families { get; set; } = [];

    /// <summary>
    /// Values of the registered contributors (<see cref="LatticeDb.AddLiveStatsContributor"/>) by name:
    /// <c>latency.&lt;operation&gt;.p50</c> / <c>.p99</c> in microseconds, <c>alert.&lt;name&gt;</c> = 1 while active.
    /// </summary>
    [JsonPropertyName("extra")] public Dictionary<string, double> Extra { get; set; } = [];
}

/// <summary>
/// <c>LIVE-STATS</c> in the database directory (FORMAT.md §20.2): a JSON <see cref="LiveStats"/>
/// replaced (write, then rename) at an interval while the database is open and deleted at close.
/// Not durable on purpose: it describes the running process, and a crash leaves it stale, which
/// readers detect by its time.
/// </summary>
internal static class LiveStatsFile
{
    public const string FileName = FileNames.LiveStats;
    public const int Version = 1;
    private const int MaxFileSize = 4 << 20;

    public static string PathOf(string db) => Path.Combine(db, FileName);

    public static void Write(IFileSystem fs, string db, LiveStats stats)
    {
        string path = PathOf(db), temp = path + ".tmp";
        using (var file = fs.CreateWritable(temp))
        {
            file.Append(JsonSerializer.SerializeToUtf8Bytes(stats, LiveStatsJson.Default.LiveStats));
            file.Flush();
        }
        fs.RenameFile(temp, path);
    }

    /// <summary>The snapshot in <paramref name="db"/>; null when there is none or it cannot be read (a reader that lost a race with a rename tries again).</summary>
    public static LiveStats? TryRead(IFileSystem fs, string db)
    {
        string path = PathOf(db);
        try
        {
            if (!fs.FileExists(path) || fs.GetFileSize(path) > MaxFileSize) return null;
            var stats = JsonSerializer.Deserialize(fs.ReadAllBytes(path), LiveStatsJson.Default.LiveStats);
            return stats is { Version: >= 1 } && IsWellFormed(stats) ? stats : null;
        }
        catch (Exception ex) when (ex is JsonException or FileNotFoundException or LatticeIOException or NotSupportedException)
        {
            return null;
        }
    }

    // The file is another process's output: its readers turn the times into dates and intervals
    // and walk the maps, so a value none of them can use makes the whole snapshot unreadable.
    private static readonly long MaxTimeMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
    private static readonly long MaxIntervalMs = (long)TimeSpan.FromDays(366).TotalMilliseconds;

    private static bool IsWellFormed(LiveStats stats) =>
        stats.TimeMs >= 0 && stats.TimeMs <= MaxTimeMs && stats.IntervalMs >= 0 && stats.IntervalMs <= MaxIntervalMs
        && stats.Counters is not null && stats.Extra is not null && stats.Families is not null
        && stats.Families.Values.All(f => f is not null);

    public static void Delete(IFileSystem fs, string db)
    {
        try { fs.DeleteFile(PathOf(db)); }
        catch (Exception ex) when (ex is FileNotFoundException or LatticeIOException) { }
    }
}

[JsonSerializable(typeof(LiveStats))]
internal sealed partial class LiveStatsJson : JsonSerializerContext;
