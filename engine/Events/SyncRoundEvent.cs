using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace LatticeKV;

/// <summary>A sync session with a peer ended (engine/Sync: <see cref="LatticeDb.SyncWith"/>, an agent's or a server's session).</summary>
/// <param name="Peer">The peer's address or replica id.</param>
/// <param name="ChangesSent">Changes sent to the peer.</param>
/// <param name="ChangesReceived">Changes received and applied.</param>
/// <param name="Duration">How long the session took.</param>
/// <param name="Succeeded">False when the session failed.</param>
/// <param name="Error">The failure's message, or empty.</param>
public sealed record SyncRoundEvent(string Peer, long ChangesSent, long ChangesReceived, TimeSpan Duration, bool Succeeded, string Error) : LatticeEvent
{
    /// <inheritdoc/>
    public override EventKind Kind => EventKind.SyncRound;

    /// <inheritdoc/>
    public override LogLevel LogLevel => Succeeded ? LogLevel.Information : LogLevel.Warning;

    /// <inheritdoc/>
    public override string Describe() => Succeeded
        ? $"sync with {Peer}: sent {ChangesSent}, received {ChangesReceived} in {Duration.TotalMilliseconds:F0} ms"
        : $"sync with {Peer} failed after {Duration.TotalMilliseconds:F0} ms: {Error}";

    internal override void WriteFields(Utf8JsonWriter writer)
    {
        writer.WriteString("peer", Peer);
        writer.WriteNumber("changes_sent", ChangesSent);
        writer.WriteNumber("changes_received", ChangesReceived);
        writer.WriteNumber("duration_ms", Duration.TotalMilliseconds);
        writer.WriteBoolean("succeeded", Succeeded);
        writer.WriteString("error", Error);
    }
}
