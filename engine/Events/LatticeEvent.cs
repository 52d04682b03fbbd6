using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>
/// Something that happened in a database, delivered to each <see cref="IEventListener"/> of
/// <see cref="DbOptions.EventListeners"/>, logged through <see cref="DbOptions.Logger"/> and written
/// to the database's event file. Each kind is a sealed record deriving from this one; match on
/// the type (<c>case FlushCompletedEvent f:</c>) or on <see cref="Kind"/>.
/// </summary>
/// <remarks>
/// Events never carry keys or values: they name column families, file numbers, sizes, durations
/// and error messages, which the engine writes without key bytes.
/// </remarks>
public abstract record LatticeEvent
{
    private protected LatticeEvent() { }

    /// <summary>When the event happened, by <see cref="DbOptions.Clock"/>.</summary>
    public DateTimeOffset Time { get; internal set; }

    /// <summary>What happened.</summary>
    public abstract EventKind Kind { get; }

    /// <summary>How much an operator should care: errors, warnings (stalls, alerts), or information.</summary>
    public virtual LogLevel LogLevel => LogLevel.Information;

    /// <summary>A one-line description, as logged.</summary>
    public abstract string Describe();

    /// <summary>Writes the event's own fields (not time, kind or level) as JSON properties (FORMAT.md, "EVENTS").</summary>
    internal abstract void WriteFields(Utf8JsonWriter writer);
}
