using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>
/// Writes began to wait for background work: stopped (too many level-0 tables or pending
/// compaction bytes, or memtables waiting for flush) or slowed. One event per episode; a
/// <see cref="WriteStallEndedEvent"/> follows at the first write that no longer waits.
/// </summary>
/// <param name="Reason">Why writes wait.</param>
public sealed record WriteStallBegunEvent(string Reason) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.WriteStallBegun;

    /// <inheritdoc/>
    public override LogLevel LogLevel => LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe() => $"write stall began: {Reason}";

    internal override void WriteFields(Utf8JsonWriter writer) => writer.WriteString("reason", Reason);
}
