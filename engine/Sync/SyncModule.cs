using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;

namespace LatticeKV.Sync;

/// <summary>Plugs the sync implementation into the public API when the engine loads (see <see cref="SyncEntry"/>).</summary>
internal static class SyncModule
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The API layer must not name this layer's types; the engine's own module wires them at load.")]
    internal static void Register()
    {
        SyncEntry.StartServer = static (db, options) => DbSyncServer.Start(db, options);
        SyncEntry.SyncWith = static (db, peer, ct) => SyncRound.RunAsync(db, peer, follow: false, ct);
        SyncEntry.StartAgent = static (db, options) => DbSyncAgent.Start(db, options);
        SyncEntry.Status = SyncRegistry.Status;
        SyncEntry.StartRelay = static (db, options) => RelaySync.Start(db, options);
    }

    /// <exception cref="InvalidArgumentException">No sync identity, a malformed peer id, or an idle timeout below the minimum.</exception>
    public static SyncTransportSettings Settings(LatticeDb db, IEnumerable<string> trusted, TimeSpan idleTimeout)
    {
        var identity = db.Options.SyncIdentity ?? throw new InvalidArgumentException("Sync needs DbOptions.SyncIdentity (make one with 'lkv sync-identity').", nameof(DbOptions.SyncIdentity));
        if (idleTimeout != Timeout.InfiniteTimeSpan && (idleTimeout < SyncTransportSettings.MinIdleTimeout || idleTimeout > SyncTransportSettings.MaxIdleTimeout))
            throw new InvalidArgumentException($"A sync idle timeout is between {SyncTransportSettings.MinIdleTimeout.TotalSeconds:0} s (three heartbeats) and {SyncTransportSettings.MaxIdleTimeout.TotalDays:0} days, or infinite; {idleTimeout} was given.", nameof(idleTimeout));
        var hooks = db.Options.TestHooks;
        return new SyncTransportSettings(identity, trusted, db.ReplicaId)
        {
            Clock = db.Options.Clock,
            IdleTimeout = hooks?.SyncIdleTimeout ?? idleTimeout,
            HeartbeatInterval = hooks?.SyncHeartbeatInterval ?? SyncTransportSettings.DefaultHeartbeatInterval,
        };
    }

    public static IPAddress Address(string host)
        => IPAddress.TryParse(host, out var address) ? address
            : Dns.GetHostAddresses(host) is [var first, ..] ? first : throw new InvalidArgumentException($"'{host}' does not resolve to an address.", nameof(host));
}

/// <summary>One session as the connecting side.</summary>
internal static class SyncRound
{
    public static async Task<SyncResult> RunAsync(LatticeDb db, SyncPeer peer, bool follow, CancellationToken ct)
    {
        var settings = SyncModule.Settings(db, [peer.PeerId], peer.IdleTimeout);
        var channel = await SyncConnector.ConnectAsync(peer.Host, peer.Port, settings, ct).ConfigureAwait(false);
        // Closed whatever happens (the session closes it too; a second close does nothing): a channel
        // left open would go on sending heartbeats, and keep the server's side of it alive, for good.
        await using var owned = channel;
        // A one-round session is always waiting for an answer from its peer: heartbeats alone do
        // not keep it (a peer whose session is stuck goes on sending them), and a peer too old to
        // send them gets the same limit.
        if (!follow)
        {
            channel.IdleTimeout = settings.IdleTimeout;
            channel.PingsAreActivity = false;
            // Below version 3 nothing watches this side's sends yet: a peer that stops reading must not hold them for good either.
            if (channel.Version < SyncProtocolVersions.Heartbeat) channel.StartLiveness(settings.HeartbeatInterval, settings.IdleTimeout, sendPings: false);
        }
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await AdmitAsync(db, channel, $"{peer.Host}:{peer.Port}", started).ConfigureAwait(false);
        SyncRegistry.Learned(db, peer, channel.RemoteHello!.ReplicaId);
        var state = SyncRegistry.For(db, channel.RemoteHello!.ReplicaId);
        state.SessionStarted();
        Exception? failure = null;
        SyncResult? result = null;
        try
        {
            result = await new SyncSession(db, channel, follow, client: true, state).RunAsync(ct).ConfigureAwait(false);
            return result;
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            state.SessionEnded(failure is OperationCanceledException ? null : failure);
            Report(db, $"{peer.Host}:{peer.Port}", result, failure is OperationCanceledException ? null : failure, started);
        }
    }

    /// <summary>
    /// <see cref="SyncSession.AdmitAsync"/>; a refused peer's session is reported as a
    /// <see cref="SyncRoundEvent"/> under <paramref name="peerName"/>, and nothing else records it.
    /// </summary>
    public static async Task AdmitAsync(LatticeDb db, SyncChannel channel, string peerName, long started)
    {
        try
        {
            await SyncSession.AdmitAsync(db, channel).ConfigureAwait(false);
        }
        catch (SyncProtocolException refused)
        {
            Report(db, peerName, null, refused, started);
            throw;
        }
    }

    /// <summary>Raises the database's <see cref="SyncRoundEvent"/> for a session that ended.</summary>
    public static void Report(LatticeDb db, string peer, SyncResult? result, Exception? failure, long started)
        => db.RaiseEvent(() => new SyncRoundEvent(peer, result?.ChangesSent ?? 0, result?.ChangesReceived ?? 0,
            System.Diagnostics.Stopwatch.GetElapsedTime(started), failure is null, failure?.Message ?? ""));
}

/// <summary>The sync server: a listener whose sessions follow (push new commits) until the client leaves.</summary>
internal sealed class DbSyncServer : SyncServer
{
    private readonly SyncListener _listener;
    private readonly int _port;

    private DbSyncServer(SyncListener listener)
    {
        _listener = listener;
        _port = listener.Port;
    }

    public override int Port => _port;

    public static DbSyncServer Start(LatticeDb db, SyncServerOptions options)
    {
        var settings = SyncModule.Settings(db, options.TrustedPeerIds, options.IdleTimeout);
        if (options.Port is < 0 or > 65535) throw new InvalidArgumentException("The port must be between 0 and 65535.", nameof(options));
        var listener = new SyncListener(new IPEndPoint(SyncModule.Address(options.Host), options.Port), settings, async (channel, ct) =>
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            await SyncRound.AdmitAsync(db, channel, channel.RemoteHello!.ReplicaId.ToString(), started).ConfigureAwait(false);
            var state = SyncRegistry.For(db, channel.RemoteHello!.ReplicaId);
            state.SessionStarted();
            Exception? failure = null;
            SyncResult? result = null;
            try
            {
                result = await new SyncSession(db, channel, follow: true, client: false, state).RunAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure = ex;
                throw;
            }
            finally
            {
                state.SessionEnded(failure);
                SyncRound.Report(db, channel.RemoteHello!.ReplicaId.ToString(), result, failure, started);
            }
        });
        try
        {
            listener.Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            throw new InvalidArgumentException($"Cannot listen on {options.Host}:{options.Port}: {ex.Message}", nameof(options));
        }
        return new DbSyncServer(listener);
    }

    public override Task StopAsync() => _listener.StopAsync();
}

/// <summary>The sync agent: one following session per peer, reconnected with doubling delays after a failure.</summary>
internal sealed class DbSyncAgent : SyncAgent
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public static DbSyncAgent Start(LatticeDb db, SyncAgentOptions options)
    {
        if (options.MinReconnectDelay <= TimeSpan.Zero || options.MaxReconnectDelay < options.MinReconnectDelay)
            throw new InvalidArgumentException("Reconnect delays must be positive, the maximum at least the minimum.", nameof(options));
        SyncModule.Settings(db, options.Peers.Select(p => p.PeerId), Timeout.InfiniteTimeSpan); // checks the identity now
        foreach (var peer in options.Peers) SyncModule.Settings(db, [peer.PeerId], peer.IdleTimeout); // and each peer's timeout
        var agent = new DbSyncAgent();
        foreach (var peer in options.Peers.ToList()) agent._loops.Add(Task.Run(() => agent.RunAsync(db, peer, options)));
        return agent;
    }

    private async Task RunAsync(LatticeDb db, SyncPeer peer, SyncAgentOptions options)
    {
        var delay = options.MinReconnectDelay;
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await SyncRound.RunAsync(db, peer, follow: true, token).ConfigureAwait(false);
                delay = options.MinReconnectDelay;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException ex)
            {
                // A session's own cancellation (its other half failed and stopped it) that escaped as
                // such: a failed session like any other, not the end of the agent.
                SyncRegistry.ConnectFailed(db, peer, ex);
            }
            catch (ObjectDisposedException)
            {
                return; // the database closed under the agent
            }
            catch (LatticeException ex)
            {
                // A session that ended or never began: recorded in the peer's status; try again after the delay.
                SyncRegistry.ConnectFailed(db, peer, ex);
            }
            try
            {
                await Task.Delay(delay, db.Options.Clock, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(options.MaxReconnectDelay.Ticks, delay.Ticks * 2));
        }
    }

    public override async Task StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }
}
