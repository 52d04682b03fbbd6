namespace LatticeKV.Sync;

/// <summary>
/// The Hello exchange that follows TLS: both sides send Hello, then read the other's; when their
/// version ranges do not meet, each sends an Error frame and closes.
/// </summary>
internal static class SyncHandshake
{
    /// <summary>Runs TLS and Hello over <paramref name="network"/>; on failure the stream is closed.</summary>
    /// <exception cref="SyncConnectionException">TLS failed, the peer was refused, or the connection broke or timed out.</exception>
    /// <exception cref="SyncProtocolException">The peer's Hello was malformed or incompatible, or it sent an Error.</exception>
    public static async Task<SyncChannel> RunAsync(Stream network, SyncTransportSettings settings, bool accepting, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(settings.HandshakeTimeout);
        SyncChannel? channel = null;
        try
        {
            var transport = new ProgressStream(network);
            var (ssl, peerId) = accepting
                ? await SyncTls.AcceptAsync(transport, settings, timeout.Token).ConfigureAwait(false)
                : await SyncTls.ConnectAsync(transport, settings, timeout.Token).ConfigureAwait(false);
            channel = new SyncChannel(ssl, peerId) { Transport = transport };
            await ExchangeHelloAsync(channel, settings, timeout.Token).ConfigureAwait(false);
            return channel;
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            await CloseAsync(channel, network).ConfigureAwait(false);
            throw new SyncConnectionException($"The sync handshake did not finish within {settings.HandshakeTimeout.TotalSeconds:0.###} s.", ex);
        }
        catch
        {
            await CloseAsync(channel, network).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExchangeHelloAsync(SyncChannel channel, SyncTransportSettings settings, CancellationToken ct)
    {
        var local = SyncHello.Create(settings.MinVersion, settings.MaxVersion, settings.ReplicaId);
        channel.LocalHello = local;
        await channel.SendAsync(FrameType.Hello, local.Encode(), ct).ConfigureAwait(false);
        var frame = await channel.ReceiveAsync(ct).ConfigureAwait(false)
            ?? throw new SyncConnectionException($"Peer {channel.RemotePeerId} closed the connection before its Hello.");
        if (frame.Type == FrameType.Error)
        {
            var error = SyncError.Decode(frame.Payload);
            throw new SyncProtocolException($"peer {channel.RemotePeerId} refused the connection: {error.Code}: {error.Message}");
        }
        if (frame.Type != FrameType.Hello) throw new SyncProtocolException($"expected Hello, got a {frame.Type} frame");
        var remote = SyncHello.Decode(frame.Payload);
        channel.RemoteHello = remote;
        if (SyncHello.Negotiate(local, remote) is not { } version)
        {
            string message = $"protocol versions {remote.MinVersion}..{remote.MaxVersion} and {local.MinVersion}..{local.MaxVersion} do not meet";
            try { await channel.SendAsync(FrameType.Error, new SyncError(SyncErrorCode.IncompatibleVersion, message).Encode(), ct).ConfigureAwait(false); }
            catch (SyncConnectionException) { } // the peer may already have closed after its own Error
            throw new SyncProtocolException(message);
        }
        channel.Version = version;
        if (version >= SyncProtocolVersions.Heartbeat) channel.StartLiveness(settings.HeartbeatInterval, settings.IdleTimeout, sendPings: true);
    }

    private static async ValueTask CloseAsync(SyncChannel? channel, Stream network)
    {
        if (channel is not null) await channel.CloseAsync().ConfigureAwait(false);
        await network.DisposeAsync().ConfigureAwait(false);
    }
}
