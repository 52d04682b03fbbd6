using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using LatticeKV.Db;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;
using LatticeKV.Tests.Sync.Transport;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// Peers that stop answering (a frozen process, a link that drops everything while TCP stays up),
/// and peers that are only quiet: protocol version 3's heartbeats and idle timeout (FORMAT.md §16.4).
/// Real TCP and TLS on loopback; the frozen links go through <see cref="FaultProxy"/>, the frozen
/// process is a real lkv child stopped with SIGSTOP.
/// </summary>
public sealed class SyncLivenessTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static SyncReplica Replica(TempDir dir, string name, TimeSpan? idle = null, TimeSpan? heartbeat = null)
        => new(dir, name, new TestHooks { SyncIdleTimeout = idle, SyncHeartbeatInterval = heartbeat });

    /// <summary>b's sync agent, following a's server through a proxy the test can freeze.</summary>
    private static (FaultProxy Proxy, SyncAgent Agent) FollowThroughProxy(SyncReplica b, SyncReplica a, SyncServer server)
    {
        var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, server.Port));
        var options = new SyncAgentOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(100) };
        options.Peers.Add(a.PeerAt(proxy.Port));
        return (proxy, b.Db.StartSyncAgent(options));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(2)]
    public async Task SyncWith_PeerThatNeverAnswersItsPull_EndsWithinTheIdleTimeout_NothingApplied(int peerVersion)
    {
        // The peer completes TLS and Hello, then sends nothing but heartbeats (at version 3, ten
        // per idle timeout): a one-round session waits for an answer, which heartbeats are not.
        using var dir = new TempDir("sync-live-silent");
        using var b = Replica(dir, "b", idle: TimeSpan.FromSeconds(1));
        b.Db.Put(b.Kv, B("mine"), B("1"));
        using var rogueIdentity = SyncIdentity.Create("rogue");
        using var pair = new TrustedPair();
        var settings = new SyncTransportSettings(rogueIdentity, [b.Identity.PeerId], Guid.NewGuid())
        {
            MaxVersion = (ushort)peerVersion,
            HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        };
        await using var rogue = new RecordingServer(settings);
        var clock = Stopwatch.StartNew();
        var sync = b.Db.SyncWith(new SyncPeer("127.0.0.1", rogue.Port, rogueIdentity.PeerId));
        var channel = await rogue.NextInvocation();
        Assert.Equal(peerVersion, channel.Version);
        var error = await Assert.ThrowsAsync<SyncConnectionException>(() => sync.WaitAsync(Bound));
        Assert.Contains("sent no sync frame for 1 s", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1), $"ended after {clock.Elapsed}, before the idle timeout");
        await rogue.HandlerEnded(); // b closed the connection
        var status = Assert.Single(b.Db.GetSyncStatus());
        Assert.False(status.Connected);
        Assert.Contains("sent no sync frame", status.LastError, StringComparison.Ordinal);
        Assert.Equal(1, status.PendingChanges); // nothing was acknowledged, so nothing is dropped from the queue
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Agent_LinkFreezesUnderAFollowingSession_TheSideWithATimeoutDropsIt_AgentReconnects_WritesFlowAgain(bool serverTimesOut)
    {
        // Only one side has an idle timeout, so that it alone must notice; the other learns when it closes.
        using var dir = new TempDir("sync-live-freeze");
        var idle = TimeSpan.FromSeconds(3);
        var none = Timeout.InfiniteTimeSpan;
        var heartbeat = TimeSpan.FromMilliseconds(100);
        using var a = Replica(dir, "a", serverTimesOut ? idle : none, heartbeat);
        using var b = Replica(dir, "b", serverTimesOut ? none : idle, heartbeat);
        await using var server = a.Serve(b);
        var (proxy, agent) = FollowThroughProxy(b, a, server);
        await using var proxyLife = proxy;
        await using var agentLife = agent;

        a.Db.Put(a.Kv, B("before"), B("1"));
        await Until(() => b.Db.Get(b.Kv, B("before")) is not null, "the first write never reached b");

        // Everything on the session's connection is now swallowed: no Changes, no Acks, no heartbeats.
        int live = proxy.Connections - 1;
        proxy.Freeze(live);
        a.Db.Put(a.Kv, B("during"), B("2"));
        b.Db.Put(b.Kv, B("from-b"), B("3"));
        var watcher = serverTimesOut ? a : b;
        await Until(() => watcher.Db.GetSyncStatus() is [{ LastError: { } e }] && e.Contains("sent nothing for 3 s", StringComparison.Ordinal),
            "the side with the idle timeout never dropped the frozen session");
        await proxy.Closed(live).WaitAsync(Bound); // both sides let go of the frozen connection
        // b's agent reconnects on a new connection and both writes cross.
        await Until(() => b.Db.Get(b.Kv, B("during")) is not null && a.Db.Get(a.Kv, B("from-b")) is not null, "the writes never crossed after the link froze");
        Assert.True(proxy.Connections > live + 1, $"{proxy.Connections} connection(s): the agent never reconnected");
    }

    [Fact]
    public async Task Agent_QuietFollowingSession_KeptAliveByHeartbeats_PastTheIdleTimeout()
    {
        using var dir = new TempDir("sync-live-quiet");
        // Twenty-five heartbeats per idle timeout: a scheduling stall of seconds on a loaded machine does not cut the session.
        var idle = TimeSpan.FromSeconds(5);
        var heartbeat = TimeSpan.FromMilliseconds(200);
        using var a = Replica(dir, "a", idle, heartbeat);
        using var b = Replica(dir, "b", idle, heartbeat);
        await using var server = a.Serve(b);
        var (proxy, agent) = FollowThroughProxy(b, a, server);
        await using var proxyLife = proxy;
        await using var agentLife = agent;
        a.Db.Put(a.Kv, B("first"), B("1"));
        await Until(() => b.Db.Get(b.Kv, B("first")) is not null, "the first write never reached b");
        int settled = proxy.Records(0);
        // Nothing is written for a while: only heartbeats cross, at least 75 of them (one and a half idle timeouts' worth at both sides' rate).
        await Until(() => proxy.Records(0) >= settled + 75, "heartbeats did not flow on the quiet session");
        a.Db.Put(a.Kv, B("second"), B("2"));
        await Until(() => b.Db.Get(b.Kv, B("second")) is not null, "the second write never reached b");
        Assert.Equal(1, proxy.Connections); // the same session all along: never dropped as idle
        Assert.True(Assert.Single(b.Db.GetSyncStatus()).Connected);
    }

    [Fact]
    public async Task Agent_PeerThatPullsAndThenReadsNothing_WhileItsHeartbeatsGoOn_SessionDroppedWithinTheIdleTimeout()
    {
        // The peer asks for everything, then never reads: b's sends stop in a full TCP window, and
        // b's receive side hears the peer's heartbeats. Only the check of b's stuck writes ends it.
        using var dir = new TempDir("sync-live-unread");
        using var b = Replica(dir, "b", idle: TimeSpan.FromSeconds(1), heartbeat: TimeSpan.FromMilliseconds(100));
        var value = new byte[1 << 20];
        new Random(TestSeed.Get(7)).NextBytes(value);
        for (int i = 0; i < 40; i++) b.Db.Put(b.Kv, B($"big{i}"), value);
        using var rogueIdentity = SyncIdentity.Create("rogue");
        var settings = new SyncTransportSettings(rogueIdentity, [b.Identity.PeerId], Guid.NewGuid()) { HeartbeatInterval = TimeSpan.FromMilliseconds(100) };
        await using var rogue = new SyncListener(new IPEndPoint(IPAddress.Loopback, 0), settings, async (channel, ct) =>
        {
            await channel.SendAsync(FrameType.Pull, SyncMessages.EncodePull(new SyncMessages.Pull(true, 0, new LatticeKV.Replication.VersionVector())), ct);
            await Task.Delay(Timeout.Infinite, ct);
        });
        rogue.Start();
        var options = new SyncAgentOptions { MinReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(5) };
        options.Peers.Add(new SyncPeer("127.0.0.1", rogue.Port, rogueIdentity.PeerId));
        await using var agent = b.Db.StartSyncAgent(options);
        await Until(() => b.Db.GetSyncStatus() is [{ LastError: { } e }] && e.Contains("took nothing of what this side sent for 1 s", StringComparison.Ordinal),
            "the session with a peer that reads nothing was never dropped");
    }

    [Fact]
    public async Task PingFrame_BeforeVersionThree_IsAProtocolError_AndMalformedAtThree()
    {
        using var dir = new TempDir("sync-live-ping");
        using var b = Replica(dir, "b");
        using var rogueIdentity = SyncIdentity.Create("rogue");
        var rogueReplica = Guid.NewGuid(); // one replica behind one identity: b binds the two at the first session
        foreach (var (version, payload, expected) in new (ushort, byte[], string)[] { (2, [1], "unexpected Ping"), (3, [1, 0], "malformed Ping") })
        {
            var settings = new SyncTransportSettings(rogueIdentity, [b.Identity.PeerId], rogueReplica) { MaxVersion = version };
            await using var rogue = new RecordingServer(settings);
            var sync = b.Db.SyncWith(new SyncPeer("127.0.0.1", rogue.Port, rogueIdentity.PeerId));
            var channel = await rogue.NextInvocation();
            try { await channel.SendAsync(FrameType.Ping, payload, CancellationToken.None); }
            catch (SyncConnectionException) { } // b may close first
            var error = await Assert.ThrowsAsync<SyncProtocolException>(() => sync.WaitAsync(Bound));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task IdleTimeout_BelowThreeHeartbeatsOrPastATimersReach_Refused_InfiniteAccepted()
    {
        using var dir = new TempDir("sync-live-args");
        using var identity = SyncIdentity.Create("a");
        using var db = LatticeDb.Open(dir.Sub("a"), new DbOptions { SyncIdentity = identity });
        var peer = new SyncPeer("127.0.0.1", 1, identity.PeerId) { IdleTimeout = TimeSpan.FromSeconds(14) };
        await Assert.ThrowsAsync<InvalidArgumentException>(() => db.SyncWith(peer));
        var agentOptions = new SyncAgentOptions();
        agentOptions.Peers.Add(peer);
        Assert.Throws<InvalidArgumentException>(() => db.StartSyncAgent(agentOptions));
        Assert.Throws<InvalidArgumentException>(() => db.StartSyncServer(new SyncServerOptions { IdleTimeout = TimeSpan.FromSeconds(1) }));
        // Past what a timer counts: refused, not a timer exception later in the agent's loop.
        Assert.Throws<InvalidArgumentException>(() => db.StartSyncServer(new SyncServerOptions { IdleTimeout = TimeSpan.MaxValue }));
        await Assert.ThrowsAsync<InvalidArgumentException>(() => db.SyncWith(peer with { IdleTimeout = TimeSpan.FromDays(25) }));
        await using var server = db.StartSyncServer(new SyncServerOptions { IdleTimeout = Timeout.InfiniteTimeSpan });
        Assert.True(server.Port > 0);
    }

    [Fact]
    public void Sockets_HaveKeepAliveProbesAndNoDelay()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        socket.Connect((IPEndPoint)listener.LocalEndpoint);
        SyncSockets.Configure(socket);
        Assert.True(socket.NoDelay);
        Assert.NotEqual(0, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(SyncSockets.KeepAliveIdleSeconds, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal(SyncSockets.KeepAliveIntervalSeconds, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        Assert.Equal(SyncSockets.KeepAliveProbes, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveRetryCount)!);
    }

    [Fact]
    public async Task Agent_ServerProcessStopped_SessionEndsWithinTheIdleTimeout_ResumesAfterContinue()
    {
        // A real lkv process serves sync; SIGSTOP freezes it with its sockets open, so the kernel
        // still answers TCP (keepalive finds nothing wrong) and only the idle timeout can tell.
        using var dir = new TempDir("sync-live-sigstop");
        using var b = Replica(dir, "b", idle: TimeSpan.FromSeconds(2), heartbeat: TimeSpan.FromMilliseconds(100));
        using var childIdentity = SyncIdentity.Create("child");
        string key = childIdentity.Save(dir.Path).KeyPath;
        using var child = new LkvChild("sync-child", dir.Sub("child"), "--identity", key, "--port", "0", "--seed", "1", "--writes", "0", "--heartbeat-ms", "100", "--trust", b.Identity.PeerId);
        int port = int.Parse(child.Expect("LISTEN ", Bound).AsSpan(7), CultureInfo.InvariantCulture);
        var options = new SyncAgentOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(200) };
        options.Peers.Add(new SyncPeer("127.0.0.1", port, childIdentity.PeerId));
        await using var agent = b.Db.StartSyncAgent(options);
        b.Db.Put(b.Kv, B("before"), B("1"));
        await Until(() => b.Db.GetSyncStatus() is [{ Connected: true, PendingChanges: 0 }], "the child never acknowledged the first write");

        child.Signal("STOP");
        try
        {
            b.Db.Put(b.Kv, B("while-stopped"), B("2"));
            await Until(() => b.Db.GetSyncStatus() is [{ Connected: false, LastError: { } e }] && e.Contains("sent nothing", StringComparison.Ordinal),
                "the session with the stopped process was never dropped");
            Assert.Equal(1, b.Db.GetSyncStatus()[0].PendingChanges);
        }
        finally
        {
            child.Signal("CONT");
        }
        // Once it runs again the agent's next attempt gets through and the queued write is acknowledged.
        await Until(() => b.Db.GetSyncStatus() is [{ Connected: true, PendingChanges: 0 }], "the queued write was never acknowledged after SIGCONT");
    }

    private static async Task Until(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Bound, failure);
            await Task.Delay(10);
        }
    }
}
