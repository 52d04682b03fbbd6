using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>An alert rule's condition began (<see cref="DbOptions.Alerts"/>): once per episode.</summary>
/// <param name="Alert">The rule's name.</param>
/// <param name="Condition">What the rule watches.</param>
/// <param name="Value">The value measured.</param>
/// <param name="Threshold">The rule's firing threshold.</param>
public sealed record AlertFiredEvent(string Alert, AlertCondition Condition, double Value, double Threshold) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.AlertFired;

    /// <inheritdoc/>
    public override LogLevel LogLevel => LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe() => $"alert '{Alert}' fired: {Condition} is {Value:G4} (threshold {Threshold:G4})";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("alert", Alert);
        writer.WriteString("condition", Condition.ToString());
        EventJson.WriteDouble(writer, "value", Value);
        EventJson.WriteDouble(writer, "threshold", Threshold);
    }
}
