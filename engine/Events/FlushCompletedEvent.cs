using System.Text.Json;

namespace LatticeKV;

/// <summary>A flush finished (or failed: <paramref name="Succeeded"/> false, and a <see cref="BackgroundErrorEvent"/> follows).</summary>
/// <param name="ColumnFamily">The column family's name.</param>
/// <param name="JobId">The id its <see cref="FlushBegunEvent"/> had.</param>
/// <param name="OutputFile">The number of the level-0 table written, or 0 when the memtables held nothing to keep.</param>
/// <param name="BytesWritten">Bytes of table written.</param>
/// <param name="Duration">From begin to end.</param>
/// <param name="Succeeded">False when the flush failed.</param>
public sealed record FlushCompletedEvent(string ColumnFamily, long JobId, long OutputFile, long BytesWritten, TimeSpan Duration, bool Succeeded) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.FlushCompleted;

    /// <inheritdoc/>
    public override string Describe() => Succeeded
        ? $"flush {JobId} of '{ColumnFamily}' completed: table {OutputFile}, {BytesWritten} bytes in {Duration.TotalMilliseconds:F0} ms"
        : $"flush {JobId} of '{ColumnFamily}' failed after {Duration.TotalMilliseconds:F0} ms";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("cf", ColumnFamily);
        writer.WriteNumber("job", JobId);
        writer.WriteNumber("output_file", OutputFile);
        writer.WriteNumber("bytes_written", BytesWritten);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
        writer.WriteBoolean("succeeded", Succeeded);
    }
}
