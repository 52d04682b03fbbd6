using System.Text.Json;

namespace LatticeKV;

/// <summary>A flush of <paramref name="MemTables"/> immutable memtables of a column family to a level-0 table started.</summary>
/// <param name="ColumnFamily">The column family's name.</param>
/// <param name="JobId">Pairs this event with its <see cref="FlushCompletedEvent"/>.</param>
/// <param name="MemTables">Memtables written by this flush.</param>
public sealed record FlushBegunEvent(string ColumnFamily, long JobId, int MemTables) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.FlushBegun;

    /// <inheritdoc/>
    public override string Describe() => $"flush {JobId} of '{ColumnFamily}' began: {MemTables} memtable(s)";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("cf", ColumnFamily);
        writer.WriteNumber("job", JobId);
        writer.WriteNumber("memtables", MemTables);
    }
}
