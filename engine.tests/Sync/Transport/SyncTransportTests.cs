using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sync.Transport;

/// <summary>
/// The transport over real loopback sockets: mutual TLS with pinned peer ids, Hello, frames; and
/// every way a peer is refused (untrusted, expired, no certificate, incompatible, garbage), each
/// before the handler sees a frame and without an exception escaping the listener.
/// </summary>
public sealed class SyncTransportTests : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TrustedPair _ids = new();

    public void Dispose() => _ids.Dispose();

    private static Task<SyncChannel> Connect(int port, SyncTransportSettings settings) => SyncConnector.ConnectAsync("127.0.0.1", port, settings, None);

    [Fact]
    public async Task ConnectAsync_TrustedBothWays_HelloAndFramesRoundTrip()
    {
        await using var server = new RecordingServer(_ids.ServerSettings(), echo: true);
        Assert.NotEqual(0, server.Port);
        await using var client = await Connect(server.Port, _ids.ClientSettings());
        var accepted = await server.NextInvocation();

        Assert.Equal(_ids.Server.PeerId, client.RemotePeerId);
        Assert.Equal(_ids.Client.PeerId, accepted.RemotePeerId);
        Assert.Equal(_ids.ServerReplica, client.RemoteHello!.ReplicaId);
        Assert.Equal(_ids.ClientReplica, accepted.RemoteHello!.ReplicaId);
        Assert.Equal(client.LocalHello!.Nonce, accepted.RemoteHello.Nonce);
        Assert.NotEqual(client.LocalHello.Nonce, client.RemoteHello.Nonce);
        Assert.Equal(SyncProtocolVersions.Max, client.Version);
        Assert.Equal(SyncProtocolVersions.Max, accepted.Version);

        var compressible = new byte[200_000];
        for (int i = 0; i < compressible.Length; i++) compressible[i] = (byte)(i / 100);
        var random = new byte[70_000];
        new Random(TestSeed.Get(20)).NextBytes(random);
        foreach (var (type, payload) in new[] { (FrameType.Pull, new byte[] { 1, 2, 3 }), (FrameType.Changes, compressible), (FrameType.Snapshot, random), (FrameType.Ack, Array.Empty<byte>()) })
        {
            await client.SendAsync(type, payload, None);
            var echoed = await client.ReceiveAsync(None).WaitAsync(RecordingServer.Wait);
            Assert.Equal(type, echoed!.Type);
            Assert.Equal(payload, echoed.Payload);
        }
        Assert.Equal(4, server.Received.Count);
    }

    [Fact]
    public async Task ConnectAsync_UntrustedClient_RefusedByTheServerBeforeAnyFrame()
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        var ex = await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings(_ids.Stranger)));
        var failure = await server.NextFailure();
        Assert.IsType<SyncConnectionException>(failure);
        Assert.Contains($"peer id {_ids.Stranger.PeerId} is not trusted", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Invocations);
        Assert.Equal(1, server.Listener.RefusedConnections);
        Assert.False(string.IsNullOrEmpty(ex.Message));
    }

    [Fact]
    public async Task ConnectAsync_UntrustedServer_RefusedByTheClient()
    {
        await using var server = new RecordingServer(_ids.ServerSettings(_ids.Stranger));
        var ex = await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings()));
        Assert.Contains($"peer id {_ids.Stranger.PeerId} is not trusted", ex.Message, StringComparison.Ordinal);
        await server.NextFailure();
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task ConnectAsync_ExpiredClientCertificate_RefusedByTheServer()
    {
        var now = DateTimeOffset.UtcNow;
        using var expired = SyncIdentity.Create("expired", now.AddDays(-30), now.AddDays(-1));
        await using var server = new RecordingServer(_ids.ServerSettings(trusted: [expired.PeerId]));
        await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings(expired)));
        var failure = await server.NextFailure();
        Assert.Contains("certificate expired", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task ConnectAsync_NewIdentity_AcceptedByAServerWhoseClockRunsBehind()
    {
        // The server's clock is read before the client's identity is made, and runs ten minutes slow:
        // a certificate valid only from the moment it was made (to the second) would be "not yet valid" there.
        var behind = new ManualClock(DateTimeOffset.UtcNow - TimeSpan.FromMinutes(10));
        using var fresh = SyncIdentity.Create("fresh");
        var settings = new SyncTransportSettings(_ids.Server, [fresh.PeerId], _ids.ServerReplica) { HandshakeTimeout = TimeSpan.FromSeconds(5), Clock = behind };
        await using var server = new RecordingServer(settings);
        await using var channel = await Connect(server.Port, _ids.ClientSettings(fresh));
        Assert.Equal(_ids.Server.PeerId, channel.RemotePeerId);
        await server.NextInvocation();
    }

    [Fact]
    public async Task ConnectAsync_CertificateNotYetValid_RefusedByTheServer()
    {
        var now = DateTimeOffset.UtcNow;
        using var future = SyncIdentity.Create("future", now.AddDays(1), now.AddDays(30));
        await using var server = new RecordingServer(_ids.ServerSettings(trusted: [future.PeerId]));
        await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings(future)));
        var failure = await server.NextFailure();
        Assert.Contains("not valid before", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task ConnectAsync_ExpiredServerCertificate_RefusedByTheClient()
    {
        var now = DateTimeOffset.UtcNow;
        using var expired = SyncIdentity.Create("expired", now.AddDays(-30), now.AddDays(-1));
        await using var server = new RecordingServer(_ids.ServerSettings(expired));
        var ex = await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings(trusted: [expired.PeerId])));
        Assert.Contains("certificate expired", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task Accept_ClientWithoutCertificate_RefusedBeforeAnyFrame()
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.EndPoint);
        await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = string.Empty,
            EnabledSslProtocols = SslProtocols.Tls13,
#pragma warning disable CA5359 // this client is the intruder under test: whom it trusts does not matter
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        };
        // TLS 1.3 lets the client finish before the server has judged the client's certificate:
        // the refusal may arrive at the handshake or at the first read.
        try
        {
            await ssl.AuthenticateAsClientAsync(options);
            await ssl.WriteAsync(FrameBytes.Plain(FrameType.Hello, SyncHello.Create(1, 1, Guid.NewGuid()).Encode()));
            Assert.Equal(0, await ssl.ReadAsync(new byte[64]).AsTask().WaitAsync(RecordingServer.Wait));
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException) { }
        var failure = await server.NextFailure();
        Assert.Contains("presented no certificate", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task ConnectAsync_PeerOfferingOnlyVersionOne_SpeaksVersionOne()
    {
        // An older build (protocol 1, before attestations) still syncs with this one.
        await using var server = new RecordingServer(_ids.ServerSettings());
        await using var client = await Connect(server.Port, new SyncTransportSettings(_ids.Client, [_ids.Server.PeerId], _ids.ClientReplica) { MinVersion = 1, MaxVersion = 1 });
        var accepted = await server.NextInvocation();
        Assert.Equal(1, client.Version);
        Assert.Equal(1, accepted.Version);
    }

    [Fact]
    public async Task ConnectAsync_IncompatibleVersions_ErrorFrameAndClosed()
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        // A client speaking only versions above this build's reads the server's Hello, then its Error frame.
        const ushort Above = SyncProtocolVersions.Max + 1;
        var network = new NetworkStream(await ConnectedSocket(server.Port), ownsSocket: true);
        var (ssl, _) = await SyncTls.ConnectAsync(network, _ids.ClientSettings(), None);
        await using var raw = new SyncChannel(ssl, "server");
        await raw.SendAsync(FrameType.Hello, SyncHello.Create(Above, Above + 1, _ids.ClientReplica).Encode(), None);
        var hello = await raw.ReceiveAsync(None).WaitAsync(RecordingServer.Wait);
        Assert.Equal(FrameType.Hello, hello!.Type);
        var error = await raw.ReceiveAsync(None).WaitAsync(RecordingServer.Wait);
        Assert.Equal(FrameType.Error, error!.Type);
        var decoded = SyncError.Decode(error.Payload);
        Assert.Equal(SyncErrorCode.IncompatibleVersion, decoded.Code);
        Assert.Contains("do not meet", decoded.Message, StringComparison.Ordinal);
        Assert.Null(await raw.ReceiveAsync(None).WaitAsync(RecordingServer.Wait));
        Assert.IsType<SyncProtocolException>(await server.NextFailure());
        Assert.Equal(0, server.Invocations);

        // Through the connector, both sides see the same refusal as a typed exception.
        var ex = await Assert.ThrowsAsync<SyncProtocolException>(() => Connect(server.Port, new SyncTransportSettings(_ids.Client, [_ids.Server.PeerId], _ids.ClientReplica) { MinVersion = Above, MaxVersion = Above + 1 }));
        Assert.Contains("do not meet", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accept_AuthenticatedClientSendingGarbage_ClosedAndTheListenerGoesOn()
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        var garbage = new byte[512];
        new Random(TestSeed.Get(512)).NextBytes(garbage);
        garbage[0] = 9; // not frame version 1

        // Garbage instead of Hello: refused in the handshake.
        var network = new NetworkStream(await ConnectedSocket(server.Port), ownsSocket: true);
        var (ssl, _) = await SyncTls.ConnectAsync(network, _ids.ClientSettings(), None);
        await using (ssl)
        {
            await ssl.WriteAsync(garbage);
            await ReadUntilClosed(ssl);
        }
        Assert.IsType<SyncProtocolException>(await server.NextFailure());
        Assert.Equal(0, server.Invocations);

        // Garbage after a proper Hello: the handler's receive throws, the listener closes that connection only.
        var (tls, _) = await SyncTls.ConnectAsync(new NetworkStream(await ConnectedSocket(server.Port), ownsSocket: true), _ids.ClientSettings(), None);
        await using (var client = new SyncChannel(tls, "server"))
        {
            await client.SendAsync(FrameType.Hello, SyncHello.Create(1, 1, _ids.ClientReplica).Encode(), None);
            Assert.Equal(FrameType.Hello, (await client.ReceiveAsync(None).WaitAsync(RecordingServer.Wait))!.Type);
            await client.SendAsync(FrameType.Pull, new byte[] { 7 }, None);
            Assert.Equal(FrameType.Pull, (await server.NextFrame()).Type);
            await tls.WriteAsync(garbage);
            await AssertClosed(client);
        }
        Assert.IsType<SyncProtocolException>(await server.NextFailure());
        Assert.Equal(1, server.Listener.FailedConnections);
        Assert.Single(server.Received);

        // The listener still serves.
        await using var again = await Connect(server.Port, _ids.ClientSettings());
        await again.SendAsync(FrameType.Ack, new byte[] { 1 }, None);
        Assert.Equal(FrameType.Ack, (await server.NextFrame()).Type);
    }

    [Fact]
    public async Task Accept_MoreConnectionsThanTheLimit_TheExtraOneIsClosedAtOnce()
    {
        // Two peers hold connections open without a handshake: a third is closed as it is accepted.
        var settings = new SyncTransportSettings(_ids.Server, [_ids.Client.PeerId], _ids.ServerReplica) { HandshakeTimeout = TimeSpan.FromSeconds(60), MaxConnections = 2 };
        await using var server = new RecordingServer(settings);
        using var first = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var second = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var third = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await first.ConnectAsync(server.EndPoint);
        await second.ConnectAsync(server.EndPoint);
        await third.ConnectAsync(server.EndPoint);
        var refusal = await server.NextFailure();
        Assert.Contains("refused", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Listener.RefusedConnections);
        // The third sees its connection closed (end of stream or a reset), long before the handshake timeout.
        int read;
        try { read = await third.ReceiveAsync(new byte[16]).WaitAsync(RecordingServer.Wait); }
        catch (SocketException) { read = 0; }
        Assert.Equal(0, read);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task StopAsync_WithAConnectedClient_EndsTheHandlerAndClosesTheClient()
    {
        var server = new RecordingServer(_ids.ServerSettings());
        await using var client = await Connect(server.Port, _ids.ClientSettings());
        await server.NextInvocation();
        await server.Listener.StopAsync().WaitAsync(RecordingServer.Wait);
        await server.HandlerEnded();
        await AssertClosed(client);
        await Assert.ThrowsAsync<SyncConnectionException>(() => Connect(server.Port, _ids.ClientSettings()));
        await server.DisposeAsync();
    }

    /// <summary>The channel's next receive sees the connection closed (cleanly or broken), not a frame.</summary>
    internal static async Task AssertClosed(SyncChannel channel)
    {
        try { Assert.Null(await channel.ReceiveAsync(None).WaitAsync(RecordingServer.Wait)); }
        catch (SyncConnectionException) { }
    }

    private static async Task<Socket> ConnectedSocket(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    /// <summary>Reads until the peer closes (or breaks) the stream; fails the test if it stays open.</summary>
    private static async Task ReadUntilClosed(Stream stream)
    {
        var buffer = new byte[4096];
        try
        {
            while (await stream.ReadAsync(buffer).AsTask().WaitAsync(RecordingServer.Wait) > 0) { }
        }
        catch (IOException) { }
    }
}
