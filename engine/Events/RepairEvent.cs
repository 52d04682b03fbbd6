using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary><see cref="LatticeDb.Repair"/> rebuilt the database; the counts are those of its <see cref="RepairReport"/>.</summary>
/// <param name="TablesRead">Tables read whole.</param>
/// <param name="TablesLost">Tables read in part, unreadable or missing.</param>
/// <param name="LogsReplayed">Write-ahead logs replayed.</param>
/// <param name="EntriesSalvaged">Entries written to the new tables.</param>
/// <param name="Complete">True when nothing was lost.</param>
/// <param name="LostDirectory">Where the old files were moved.</param>
public sealed record RepairEvent(int TablesRead, int TablesLost, int LogsReplayed, long EntriesSalvaged, bool Complete, string LostDirectory) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.Repair;

    /// <inheritdoc/>
    public override LogLevel LogLevel => Complete ? LogLevel.Information : LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe()
        => $"repair {(Complete ? "completed" : "lost data")}: {TablesRead} table(s) read, {TablesLost} damaged, {LogsReplayed} log(s) replayed, {EntriesSalvaged} entries kept";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteNumber("tables_read", TablesRead);
        writer.WriteNumber("tables_lost", TablesLost);
        writer.WriteNumber("logs_replayed", LogsReplayed);
        writer.WriteNumber("entries_salvaged", EntriesSalvaged);
        writer.WriteBoolean("complete", Complete);
        writer.WriteString("lost_directory", LostDirectory);
    }
}
