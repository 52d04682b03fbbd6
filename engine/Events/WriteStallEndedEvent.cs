using System.Text.Json;

namespace LatticeKV;

/// <summary>A write stall episode ended: a write went through without waiting.</summary>
/// <param name="Reason">Why writes waited (as its <see cref="WriteStallBegunEvent"/> said).</param>
/// <param name="Duration">From the first write that waited to the first that did not.</param>
public sealed record WriteStallEndedEvent(string Reason, TimeSpan Duration) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.WriteStallEnded;

    /// <inheritdoc/>
    public override string Describe() => $"write stall ended after {Duration.TotalMilliseconds:F0} ms: {Reason}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("reason", Reason);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
    }
}
