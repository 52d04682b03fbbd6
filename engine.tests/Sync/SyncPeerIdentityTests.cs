using LatticeKV.Db;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;
using LatticeKV.Tests.Sync.Transport;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// A replica id is bound to the sync identity it first synced with (FORMAT.md §15, `peerid/`):
/// another trusted identity presenting it is refused on either side, before anything moves, until
/// the binding is forgotten. Real TCP and TLS on loopback.
/// </summary>
public sealed class SyncPeerIdentityTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Server_TrustedClientPresentingAnotherReplicasId_Refused_ThatReplicasCursorUntouched()
    {
        using var dir = new TempDir("sync-id-server");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        using var mallory = SyncIdentity.Create("mallory");
        a.Db.Put(a.Kv, B("from-a"), B("1"));
        b.Db.Put(b.Kv, B("from-b"), B("2"));
        var options = new SyncServerOptions();
        options.TrustedPeerIds.Add(b.Identity.PeerId);
        options.TrustedPeerIds.Add(mallory.PeerId);
        await using var server = a.Db.StartSyncServer(options);
        await b.Db.SyncWith(a.PeerAt(server));
        ulong cursor = a.Db.Replication.PeerCursor(b.Db.ReplicaId);
        Assert.True(cursor > 0);

        // Mallory is trusted too, and claims to be b: it would move a's cursor into b's log past b's changes.
        var settings = new SyncTransportSettings(mallory, [a.Identity.PeerId], b.Db.ReplicaId) { HandshakeTimeout = TimeSpan.FromSeconds(5) };
        await using var channel = await SyncConnector.ConnectAsync("127.0.0.1", server.Port, settings, CancellationToken.None);
        // At once a frame that, applied, would move a's cursor into b's log far past b's changes.
        var changes = new LatticeKV.Coding.ByteWriter(64);
        SyncMessages.EncodeChanges(changes, caughtUp: true, through: cursor + 1_000_000, []);
        try { await channel.SendAsync(FrameType.Changes, changes.ToArray(), CancellationToken.None); }
        catch (SyncConnectionException) { } // a may have closed already
        var frame = await channel.ReceiveAsync(CancellationToken.None).WaitAsync(Bound);
        Assert.NotNull(frame);
        Assert.Equal(FrameType.Error, frame.Type);
        var error = SyncError.Decode(frame.Payload);
        Assert.Equal(SyncErrorCode.Refused, error.Code);
        Assert.Contains($"presents replica id {b.Db.ReplicaId}", error.Message, StringComparison.Ordinal);
        Assert.Null(await channel.ReceiveAsync(CancellationToken.None).WaitAsync(Bound)); // then closed
        Assert.Equal(cursor, a.Db.Replication.PeerCursor(b.Db.ReplicaId));
        Assert.Equal(b.Identity.PeerId, a.Db.Replication.PeerIdentity(b.Db.ReplicaId));
    }

    [Fact]
    public async Task Client_ServerPresentingAKnownReplicasIdUnderAnotherIdentity_Refused_UntilForgotten()
    {
        using var dir = new TempDir("sync-id-client");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b", new TestHooks { SyncIdleTimeout = TimeSpan.FromSeconds(1) });
        await using (var server = a.Serve(b))
        {
            await b.Db.SyncWith(a.PeerAt(server));
        }

        // Another identity (a's device replaced its key, or an impostor) serving as a's replica id.
        using var other = SyncIdentity.Create("a-new-key");
        await using var impostor = new RecordingServer(new SyncTransportSettings(other, [b.Identity.PeerId], a.Db.ReplicaId));
        var refusal = await Assert.ThrowsAsync<SyncProtocolException>(() => b.Db.SyncWith(new SyncPeer("127.0.0.1", impostor.Port, other.PeerId)).WaitAsync(Bound));
        Assert.Contains($"presents replica id {a.Db.ReplicaId}", refusal.Message, StringComparison.Ordinal);
        await impostor.HandlerEnded();
        Assert.DoesNotContain(impostor.Received, f => f.Type == FrameType.Pull); // refused before b's Pull
        // The refusal is the impostor's: the genuine replica's status keeps its last successful session and no error.
        var genuine = Assert.Single(b.Db.GetSyncStatus(), s => s.ReplicaId == a.Db.ReplicaId);
        Assert.Null(genuine.LastError);
        Assert.NotNull(genuine.LastSuccessfulSync);

        // The user says the key was replaced on purpose: the next session binds the new identity.
        Assert.True(b.Db.ForgetSyncPeerIdentity(a.Db.ReplicaId));
        Assert.False(b.Db.ForgetSyncPeerIdentity(a.Db.ReplicaId));
        var sync = b.Db.SyncWith(new SyncPeer("127.0.0.1", impostor.Port, other.PeerId));
        var pull = await impostor.NextFrame();
        while (pull.Type != FrameType.Pull) pull = await impostor.NextFrame();
        await Assert.ThrowsAsync<SyncConnectionException>(() => sync.WaitAsync(Bound)); // this server never answers: b's idle timeout ends it
        Assert.Equal(other.PeerId, b.Db.Replication.PeerIdentity(a.Db.ReplicaId));
    }

    [Fact]
    public async Task Server_KnownIdentityPresentingAFreshReplicaId_Refused_UntilTheOldReplicaIsForgotten()
    {
        // b, once attested under its id, comes back with another: it would owe nothing that id owes.
        using var dir = new TempDir("sync-id-fresh");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        await using var server = a.Serve(b);
        await b.Db.SyncWith(a.PeerAt(server));

        var fresh = Guid.NewGuid();
        var settings = new SyncTransportSettings(b.Identity, [a.Identity.PeerId], fresh) { HandshakeTimeout = TimeSpan.FromSeconds(5) };
        await using (var channel = await SyncConnector.ConnectAsync("127.0.0.1", server.Port, settings, CancellationToken.None))
        {
            var frame = await channel.ReceiveAsync(CancellationToken.None).WaitAsync(Bound);
            Assert.NotNull(frame);
            Assert.Equal(FrameType.Error, frame.Type);
            Assert.Contains($"synced before as replica {b.Db.ReplicaId}", SyncError.Decode(frame.Payload).Message, StringComparison.Ordinal);
        }
        Assert.Null(a.Db.Replication.PeerIdentity(fresh));

        // The database behind b's identity was replaced on purpose: forgetting the old replica frees the identity.
        Assert.True(a.Db.ForgetSyncPeerIdentity(b.Db.ReplicaId));
        await using (var channel = await SyncConnector.ConnectAsync("127.0.0.1", server.Port, settings, CancellationToken.None))
        {
            var frame = await channel.ReceiveAsync(CancellationToken.None).WaitAsync(Bound);
            Assert.NotNull(frame);
            Assert.NotEqual(FrameType.Error, frame.Type); // a's session began: its Pull
        }
        Assert.Equal(b.Identity.PeerId, a.Db.Replication.PeerIdentity(fresh));
        Assert.Equal(fresh, a.Db.Replication.ReplicaOfIdentity(b.Identity.PeerId));
    }
}
