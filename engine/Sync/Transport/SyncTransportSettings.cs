using System.Collections.Frozen;

namespace LatticeKV.Sync;

/// <summary>
/// What one side of a sync connection brings: its identity, the peer ids it trusts, its replica
/// id and its protocol version range. Immutable; shared by every connection of a listener.
/// </summary>
internal sealed class SyncTransportSettings
{
    /// <exception cref="InvalidArgumentException">A trusted peer id is not 64 hex digits.</exception>
    public SyncTransportSettings(SyncIdentity identity, IEnumerable<string> trustedPeerIds, Guid replicaId)
    {
        Identity = identity;
        ReplicaId = replicaId;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in trustedPeerIds)
        {
            if (id is not { Length: 64 } || !id.All(char.IsAsciiHexDigit))
                throw new InvalidArgumentException($"'{id}' is not a peer id (64 hex digits, `lkv sync-identity` prints them).", nameof(trustedPeerIds));
            ids.Add(id.ToLowerInvariant());
        }
        TrustedPeerIds = ids.ToFrozenSet(StringComparer.Ordinal);
    }

    public SyncIdentity Identity { get; }

    /// <summary>Lowercase peer ids (<see cref="SyncIdentity.PeerId"/>) this side accepts.</summary>
    public FrozenSet<string> TrustedPeerIds { get; }

    public Guid ReplicaId { get; }

    public ushort MinVersion { get; init; } = SyncProtocolVersions.Min;

    public ushort MaxVersion { get; init; } = SyncProtocolVersions.Max;

    /// <summary>Time allowed for the TLS handshake and the Hello exchange together; a peer that stalls longer is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// From protocol version 3, how long a peer may send nothing at all (its heartbeats included)
    /// before the connection is dropped as dead; before version 3, only a one-round session waits
    /// this long for its peer. <see cref="Timeout.InfiniteTimeSpan"/>: no limit.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>From protocol version 3, how often this side sends a Ping when it sends nothing else.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = DefaultHeartbeatInterval;

    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>The shortest idle timeout the public options accept: three heartbeats.</summary>
    public static readonly TimeSpan MinIdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The longest finite idle timeout the public options accept (what a timer can count).</summary>
    public static readonly TimeSpan MaxIdleTimeout = TimeSpan.FromDays(24);

    /// <summary>
    /// Connections a listener serves at once, handshakes included; one more is closed as it is
    /// accepted (counted as refused), so that peers holding connections open cannot exhaust the server.
    /// </summary>
    public int MaxConnections { get; init; } = 256;

    /// <summary>The clock certificate validity periods are checked against.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
