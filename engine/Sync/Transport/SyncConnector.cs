using System.Net.Sockets;

namespace LatticeKV.Sync;

/// <summary>Opens sync connections: TCP, then TLS 1.3 with both certificates checked against the pins, then Hello.</summary>
internal static class SyncConnector
{
    /// <summary>Connects to <paramref name="host"/>:<paramref name="port"/> and authenticates both ways.</summary>
    /// <exception cref="SyncConnectionException">The peer cannot be reached, refused us, was refused, or the handshake timed out.</exception>
    /// <exception cref="SyncProtocolException">The peer's Hello was malformed or incompatible.</exception>
    public static async Task<SyncChannel> ConnectAsync(string host, int port, SyncTransportSettings settings, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            SyncSockets.Configure(socket);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(settings.HandshakeTimeout);
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SyncConnectionException($"Cannot connect to sync peer {host}:{port}: {ex.Message}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await SyncHandshake.RunAsync(new NetworkStream(socket, ownsSocket: true), settings, accepting: false, ct).ConfigureAwait(false);
    }

    /// <summary>Connects with default settings: this build's protocol versions and handshake timeout.</summary>
    public static Task<SyncChannel> ConnectAsync(string host, int port, SyncIdentity identity, IEnumerable<string> trustedPeerIds, Guid replicaId, CancellationToken ct)
        => ConnectAsync(host, port, new SyncTransportSettings(identity, trustedPeerIds, replicaId), ct);
}
