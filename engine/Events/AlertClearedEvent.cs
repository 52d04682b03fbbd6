using System.Text.Json;

namespace LatticeKV;

/// <summary>An alert's condition ended: the value is back past the rule's clear threshold.</summary>
/// <param name="Alert">The rule's name.</param>
/// <param name="Condition">What the rule watches.</param>
/// <param name="Value">The value measured.</param>
/// <param name="Duration">How long the alert was active.</param>
public sealed record AlertClearedEvent(string Alert, AlertCondition Condition, double Value, TimeSpan Duration) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.AlertCleared;

    /// <inheritdoc/>
    public override string Describe() => $"alert '{Alert}' cleared after {Duration.TotalSeconds:F0} s: {Condition} is {Value:G4}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("alert", Alert);
        writer.WriteString("condition", Condition.ToString());
        EventJson.WriteDouble(writer, "value", Value);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
    }
}
