using System.Text.Json;

namespace LatticeKV;

/// <summary>A compaction finished (or failed: <paramref name="Succeeded"/> false).</summary>
/// <param name="ColumnFamily">The column family's name.</param>
/// <param name="JobId">The id its <see cref="CompactionBegunEvent"/> had.</param>
/// <param name="Level">The level compacted.</param>
/// <param name="OutputLevel">The level written.</param>
/// <param name="InputFiles">Numbers of the input tables.</param>
/// <param name="OutputFiles">Numbers of the tables written (the inputs themselves for a trivial move).</param>
/// <param name="BytesRead">Bytes of input read.</param>
/// <param name="BytesWritten">Bytes of output written.</param>
/// <param name="Duration">From begin to end.</param>
/// <param name="Succeeded">False when the compaction failed or was interrupted.</param>
public sealed record CompactionCompletedEvent(string ColumnFamily, long JobId, int Level, int OutputLevel, IReadOnlyList<long> InputFiles,
    IReadOnlyList<long> OutputFiles, long BytesRead, long BytesWritten, TimeSpan Duration, bool Succeeded) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.CompactionCompleted;

    /// <inheritdoc/>
    public override string Describe() => Succeeded
        ? $"compaction {JobId} of '{ColumnFamily}' completed: L{Level} -> L{OutputLevel}, {InputFiles.Count} -> {OutputFiles.Count} table(s), read {BytesRead} wrote {BytesWritten} bytes in {Duration.TotalMilliseconds:F0} ms"
        : $"compaction {JobId} of '{ColumnFamily}' failed after {Duration.TotalMilliseconds:F0} ms";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("cf", ColumnFamily);
        writer.WriteNumber("job", JobId);
        writer.WriteNumber("level", Level);
        writer.WriteNumber("output_level", OutputLevel);
        EventJson.WriteNumbers(writer, "input_files", InputFiles);
        EventJson.WriteNumbers(writer, "output_files", OutputFiles);
        writer.WriteNumber("bytes_read", BytesRead);
        writer.WriteNumber("bytes_written", BytesWritten);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
        writer.WriteBoolean("succeeded", Succeeded);
    }
}
