using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>An operation took longer than the slow-operation threshold.</summary>
/// <param name="Operation">Which operation.</param>
/// <param name="ColumnFamily">The column family's name.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="KeyPrefix">A short printable prefix of the key, or empty for an encrypted family (never its plaintext).</param>
public sealed record SlowOperationEvent(OperationKind Operation, string ColumnFamily, TimeSpan Duration, string KeyPrefix) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.SlowOperation;

    /// <inheritdoc/>
    public override LogLevel LogLevel => LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe() => $"slow {Operation} on '{ColumnFamily}': {Duration.TotalMilliseconds:F1} ms, key prefix '{KeyPrefix}'";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("operation", Operation.ToString());
        writer.WriteString("cf", ColumnFamily);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
        writer.WriteString("key_prefix", KeyPrefix);
    }
}
