using System.Net.Sockets;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Sync.Transport;

/// <summary>
/// Sessions through <see cref="FaultProxy"/>: every injected fault (a dropped connection, a delayed,
/// duplicated, swapped, truncated or tampered TLS record) and a replayed session end with the
/// connection closed, and no frame past the fault reaches the handler.
/// </summary>
public sealed class TransportFaultTests(ITestOutputHelper output) : IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly TrustedPair _ids = new();

    public void Dispose() => _ids.Dispose();

    private Task<SyncChannel> ConnectThrough(FaultProxy proxy) => SyncConnector.ConnectAsync("127.0.0.1", proxy.Port, _ids.ClientSettings(), None);

    [Fact]
    public async Task ReplayedSession_RefusedInTheHandshake_HandlerSeesNoFrame()
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        await using var proxy = new FaultProxy(server.EndPoint);
        await using (var client = await ConnectThrough(proxy))
        {
            await client.SendAsync(FrameType.Pull, new byte[] { 1, 2, 3 }, None);
            await server.NextFrame();
        }
        await server.HandlerEnded();
        await proxy.Closed(0).WaitAsync(RecordingServer.Wait);
        var recorded = proxy.ClientBytes(0);
        Assert.True(recorded.Length > 500, $"recorded only {recorded.Length} bytes");

        // The recorded client bytes, verbatim, on a new connection straight to the server.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(server.EndPoint);
            await socket.SendAsync(recorded);
            var buffer = new byte[4096];
            try { while (await socket.ReceiveAsync(buffer).WaitAsync(RecordingServer.Wait) > 0) { } }
            catch (SocketException) { } // a reset is a close too
        }
        var failure = await server.NextFailure();
        Assert.IsType<SyncConnectionException>(failure);
        output.WriteLine("replay refused: " + failure.Message);
        Assert.Equal(1, server.Invocations);
        Assert.Single(server.Received);
        Assert.Equal(1, server.Listener.RefusedConnections);
    }

    /// <summary>What the handler may receive (alternatives split by '|') when the fault hits frame B of A, B, C (one TLS record each).</summary>
    public static TheoryData<RecordFault, string> AfterTheHandshake => new()
    {
        { RecordFault.Drop, "A" },
        // The first copy of B is genuine, its replay breaks the record sequence; when both copies
        // arrive in one read, TLS fails the read before handing B over.
        { RecordFault.Duplicate, "A|AB" },
        { RecordFault.Swap, "A" },
        { RecordFault.Truncate, "A" },
        { RecordFault.Corrupt, "A" },
    };

    [Theory]
    [MemberData(nameof(AfterTheHandshake))]
    public async Task RecordFault_AfterTheHandshake_ClosesWithNothingPastTheFault(RecordFault kind, string delivered)
    {
        await using var server = new RecordingServer(_ids.ServerSettings());
        await using var proxy = new FaultProxy(server.EndPoint);
        var client = await ConnectThrough(proxy);
        await server.NextInvocation();
        await client.SendAsync(FrameType.Pull, "A"u8.ToArray(), None);
        await server.NextFrame();

        proxy.Arm(ProxyDirection.ClientToServer, kind);
        try
        {
            await client.SendAsync(FrameType.Pull, "B"u8.ToArray(), None);
            await client.SendAsync(FrameType.Pull, "C"u8.ToArray(), None);
        }
        catch (SyncConnectionException) { } // the proxy may have cut the connection already
        await server.HandlerEnded();
        await SyncTransportTests.AssertClosed(client);
        await client.DisposeAsync();
        await proxy.Closed(0).WaitAsync(RecordingServer.Wait);

        string received = string.Concat(server.Received.Select(f => System.Text.Encoding.ASCII.GetString(f.Payload)));
        Assert.Contains(received, delivered.Split('|'));
        Assert.Equal(1, proxy.Count(kind));
        Assert.Equal(1, proxy.TotalFaults);
        output.WriteLine($"{kind}: delivered {received}, handler failures {server.Listener.FailedConnections}");
    }

    [Fact]
    public async Task Tamper_FlippedByteInAServerRecord_ClosesTheClientWithoutAFrame()
    {
        await using var server = new RecordingServer(_ids.ServerSettings(), echo: true);
        await using var proxy = new FaultProxy(server.EndPoint);
        await using var client = await ConnectThrough(proxy);
        var accepted = await server.NextInvocation();
        await client.SendAsync(FrameType.Pull, new byte[] { 1 }, None);
        Assert.Equal(FrameType.Pull, (await client.ReceiveAsync(None).WaitAsync(RecordingServer.Wait))!.Type);

        proxy.Arm(ProxyDirection.ServerToClient, RecordFault.Corrupt);
        await accepted.SendAsync(FrameType.Changes, new byte[] { 9, 9, 9 }, None);
        await Assert.ThrowsAsync<SyncConnectionException>(() => client.ReceiveAsync(None).WaitAsync(RecordingServer.Wait));
        Assert.True(client.IsClosed);
        Assert.Equal(1, proxy.Count(RecordFault.Corrupt));
    }

    [Theory]
    [InlineData(RecordFault.Delay)]
    [InlineData(RecordFault.Drop)]
    [InlineData(RecordFault.Duplicate)]
    [InlineData(RecordFault.Swap)]
    [InlineData(RecordFault.Truncate)]
    [InlineData(RecordFault.Corrupt)]
    public async Task RecordFault_InTheHandshake_RefusedAndTheHandlerNeverRuns(RecordFault kind)
    {
        // The server gives up on a handshake stalled by a delayed record well before the delay ends.
        var settings = _ids.ServerSettings();
        settings = new SyncTransportSettings(settings.Identity, settings.TrustedPeerIds, settings.ReplicaId) { HandshakeTimeout = TimeSpan.FromMilliseconds(500) };
        await using var server = new RecordingServer(settings);
        await using var proxy = new FaultProxy(server.EndPoint) { Delay = TimeSpan.FromSeconds(3) };
        proxy.Arm(ProxyDirection.ServerToClient, kind); // the ServerHello
        await Assert.ThrowsAnyAsync<LatticeException>(() => ConnectThrough(proxy));
        await server.NextFailure();
        Assert.Equal(0, server.Invocations);
        Assert.Equal(1, proxy.Count(kind));
    }

    [Fact]
    public async Task RandomFaults_SeededSessions_EachFaultedSessionClosesAndDeliversOnlyAPrefix()
    {
        int seed = TestSeed.Get(2020);
        output.WriteLine($"seed {seed} (LKV_SEED replays)");
        await using var server = new RecordingServer(_ids.ServerSettings(), echo: true);
        await using var proxy = new FaultProxy(server.EndPoint) { Delay = TimeSpan.FromMilliseconds(20), SwapWait = TimeSpan.FromMilliseconds(300) };
        proxy.UseRandomFaults(seed, 0.08, Enum.GetValues<RecordFault>());
        int sessions = 16 * TestSeed.Scale, completed = 0;
        for (int s = 0; s < sessions; s++)
        {
            var sent = Enumerable.Range(0, 6).Select(i => System.Text.Encoding.ASCII.GetBytes($"s{s}f{i}")).ToList();
            int echoed = 0;
            try
            {
                await using var client = await ConnectThrough(proxy);
                foreach (var payload in sent)
                {
                    await client.SendAsync(FrameType.Changes, payload, None);
                    var back = await client.ReceiveAsync(None).WaitAsync(RecordingServer.Wait);
                    if (back is null) break;
                    Assert.Equal(payload, back.Payload);
                    echoed++;
                }
            }
            catch (LatticeException) { }
            await proxy.Closed(s).WaitAsync(RecordingServer.Wait);
            var faults = proxy.FaultsIn(s);
            if (echoed == sent.Count)
            {
                // Only a delay within the timeouts leaves a session whole; every other fault closes it.
                Assert.All(faults, f => Assert.Equal(RecordFault.Delay, f));
                completed++;
            }
            else
            {
                Assert.True(faults.Count > 0, $"session {s} ended after {echoed} frames with no fault injected");
            }
        }
        // Frames the server received: per session, a prefix of what was sent, each once, in order.
        foreach (var group in server.Received.Select(f => System.Text.Encoding.ASCII.GetString(f.Payload)).GroupBy(p => p.Split('f')[0]))
            Assert.Equal(Enumerable.Range(0, group.Count()).Select(i => $"{group.Key}f{i}"), group);
        output.WriteLine($"{completed}/{sessions} sessions completed; faults: "
            + string.Join(", ", Enum.GetValues<RecordFault>().Select(k => $"{k} {proxy.Count(k)}")));
        Assert.True(proxy.TotalFaults > 0, "no fault was injected");
    }
}
