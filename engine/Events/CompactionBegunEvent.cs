using System.Text.Json;

namespace LatticeKV;

/// <summary>A compaction from <paramref name="Level"/> into <paramref name="OutputLevel"/> started.</summary>
/// <param name="ColumnFamily">The column family's name.</param>
/// <param name="JobId">Pairs this event with its <see cref="CompactionCompletedEvent"/>.</param>
/// <param name="Level">The level compacted.</param>
/// <param name="OutputLevel">The level written.</param>
/// <param name="InputFiles">Numbers of the input tables.</param>
/// <param name="InputBytes">Their total size.</param>
/// <param name="TrivialMove">True when the inputs are moved to the output level without being rewritten.</param>
public sealed record CompactionBegunEvent(string ColumnFamily, long JobId, int Level, int OutputLevel, IReadOnlyList<long> InputFiles, long InputBytes, bool TrivialMove) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.CompactionBegun;

    /// <inheritdoc/>
    public override string Describe()
        => $"compaction {JobId} of '{ColumnFamily}' began: L{Level} -> L{OutputLevel}, {InputFiles.Count} table(s), {InputBytes} bytes{(TrivialMove ? " (move)" : "")}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("cf", ColumnFamily);
        writer.WriteNumber("job", JobId);
        writer.WriteNumber("level", Level);
        writer.WriteNumber("output_level", OutputLevel);
        EventJson.WriteNumbers(writer, "input_files", InputFiles);
        writer.WriteNumber("input_bytes", InputBytes);
        writer.WriteBoolean("trivial_move", TrivialMove);
    }
}
