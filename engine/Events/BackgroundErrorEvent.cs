using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>
/// Background work (a flush, a compaction, a log fsync) failed and writes stopped: until the
/// database is reopened, or, when <paramref name="Soft"/> (a full disk), until background work
/// succeeds again.
/// </summary>
/// <param name="Error">The exception's type name.</param>
/// <param name="Message">The exception's message (engine messages carry no key bytes).</param>
/// <param name="Soft">True for a full disk, which clears on its own.</param>
public sealed record BackgroundErrorEvent(string Error, string Message, bool Soft) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.BackgroundError;

    /// <inheritdoc/>
    public override LogLevel LogLevel => LogLevel.Error;

    /// <inheritdoc/>
    public override string Describe() => $"background error{(Soft ? " (retrying)" : "")}: {Error}: {Message}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("error", Error);
        writer.WriteString("message", Message);
        writer.WriteBoolean("soft", Soft);
    }
}
