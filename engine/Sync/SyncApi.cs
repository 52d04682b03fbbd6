namespace LatticeKV;

/// <summary>A replica to sync with: where it listens, and its peer id (<see cref="SyncIdentity.PeerId"/>), which its certificate must match.</summary>
public sealed record SyncPeer(string Host, int Port, string PeerId)
{
    /// <summary>
    /// How long the peer may send nothing at all before the session ends with a
    /// <see cref="SyncConnectionException"/> (an agent then reconnects). Peers of this release send
    /// a heartbeat every 5 seconds when idle, so a frozen process or a cut link is found within
    /// this time; with an older peer only a one-round <c>SyncWith</c> is limited. Default 30 seconds,
    /// at least 15; <see cref="Timeout.InfiniteTimeSpan"/> for no limit (TCP keepalive then finds
    /// a vanished host after about a minute of silence).
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Parses <c>host:port</c> (what <c>lkv sync --peer</c> takes).</summary>
    public static (string Host, int Port) ParseAddress(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw new InvalidArgumentException($"'{address}' is not HOST:PORT.", nameof(address));
        return (address[..colon].Trim('[', ']'), port);
    }
}

/// <summary>Options of <c>LatticeDb.StartSyncServer</c>.</summary>
public sealed class SyncServerOptions
{
    /// <summary>The address to listen on (default the loopback address).</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port (0: one the system picks; read it from <see cref="SyncServer.Port"/>).</summary>
    public int Port { get; set; }

    /// <summary>Peer ids allowed to connect; any other is refused during the TLS handshake, before any data moves.</summary>
    public IList<string> TrustedPeerIds { get; } = [];

    /// <summary>
    /// How long a client of this release may send nothing at all (it sends a heartbeat every
    /// 5 seconds when idle) before its session is dropped and its connection freed. Clients of
    /// older releases send no heartbeats and are not limited (TCP keepalive finds a vanished host).
    /// Default 30 seconds, at least 15; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Options of <c>LatticeDb.StartSyncAgent</c>.</summary>
public sealed class SyncAgentOptions
{
    /// <summary>The replicas to keep in sync with: each gets a connection that pushes local changes as they commit and pulls the peer's.</summary>
    public IList<SyncPeer> Peers { get; } = [];

    /// <summary>The first wait before reconnecting after a failure; it doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>What one sync round moved.</summary>
public sealed record SyncResult(int ChangesReceived, int ChangesSent, int Conflicts, int Quarantined = 0);

/// <summary>Something sync runs in the background (a server, an agent): stop it before closing the database.</summary>
public abstract class SyncService : IAsyncDisposable, IDisposable
{
    /// <summary>Stops it and waits for the sessions in progress to end.</summary>
    public abstract Task StopAsync();

    /// <summary>Stops it (<see cref="StopAsync"/>).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops it (<see cref="StopAsync"/>), blocking until done.</summary>
    public void Dispose()
    {
        StopAsync().GetAwaiter().GetResult();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A running sync server (<c>LatticeDb.StartSyncServer</c>): stop it before closing the database.</summary>
public abstract class SyncServer : SyncService
{
    /// <summary>The port it listens on.</summary>
    public abstract int Port { get; }
}

/// <summary>A running sync agent (<c>LatticeDb.StartSyncAgent</c>): one session per peer, reconnected after failures.</summary>
public abstract class SyncAgent : SyncService
{
}

/// <summary>Sync state of one peer this replica has exchanged changes with (<c>LatticeDb.GetSyncStatus</c>).</summary>
/// <param name="ReplicaId">The peer's replica id.</param>
/// <param name="Connected">A session with it is open now.</param>
/// <param name="PendingChanges">Local changes (made here or relayed) it has not acknowledged: the offline queue.</param>
/// <param name="PendingBytes">Their keys' and values' bytes.</param>
/// <param name="LastSuccessfulSync">When it last acknowledged changes or sent its own (null: not in this process's life, and nothing acknowledged).</param>
/// <param name="Lag">How old the oldest change it has not acknowledged is (zero when none).</param>
/// <param name="LastError">The last session's failure, when it failed.</param>
/// <param name="QuarantinedChanges">How many of the changes it sent were quarantined here, ever (<c>LatticeDb.GetQuarantinedChanges</c>).</param>
public sealed record PeerSyncStatus(Guid ReplicaId, bool Connected, long PendingChanges, long PendingBytes, DateTimeOffset? LastSuccessfulSync, TimeSpan Lag, string? LastError,
    long QuarantinedChanges = 0);

/// <summary>Where the sync entry points are implemented (engine/Sync, wired at load: the facade must not name that layer's types).</summary>
internal static class SyncEntry
{
    public static Func<LatticeDb, SyncServerOptions, SyncServer>? StartServer;
    public static Func<LatticeDb, SyncPeer, CancellationToken, Task<SyncResult>>? SyncWith;
    public static Func<LatticeDb, SyncAgentOptions, SyncAgent>? StartAgent;
    public static Func<LatticeDb, IReadOnlyList<PeerSyncStatus>>? Status;
    public static Func<LatticeDb, RelaySyncOptions, SyncService>? StartRelay;
}
