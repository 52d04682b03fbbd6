using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>Stored data failed a check: a checksum, a length, a format rule.</summary>
/// <param name="File">The damaged file's path, or empty when unknown.</param>
/// <param name="Offset">Byte offset of the damage in <paramref name="File"/>, or -1 when unknown.</param>
/// <param name="Reason">What was wrong (<see cref="CorruptionException.Reason"/>).</param>
public sealed record CorruptionDetectedEvent(string File, long Offset, string Reason) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.CorruptionDetected;

    /// <inheritdoc/>
    public override LogLevel LogLevel => LogLevel.Error;

    /// <inheritdoc/>
    public override string Describe() => $"corruption detected in '{File}' at offset {Offset}: {Reason}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("file", File);
        writer.WriteNumber("offset", Offset);
        writer.WriteString("reason", Reason);
    }
}
