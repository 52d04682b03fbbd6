using System.Text;
using LatticeKV.Sync;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sync;

/// <summary>
/// Attestations (FORMAT.md §17.5) over real TCP and TLS on loopback: each side's claim about its
/// history reaches the other before any change, and a refused claim stops the session before
/// anything of that peer is applied.
/// </summary>
public sealed class SyncAttestationTests
{
    /// <summary>Claims "history of NAME: N", judges the peer's claim against a rule, records what it saw.</summary>
    private sealed class CountingAttestor(string name, Func<string, bool> accept) : ISyncAttestor
    {
        public string Name => "test";
        public List<string> SeenBodies { get; } = [];
        public List<string> Judged { get; } = [];
        public byte[] Seen(Guid peer) => Encoding.UTF8.GetBytes("seen by " + name);
        public byte[] Claim(Guid peer, ReadOnlySpan<byte> peerSeen)
        {
            lock (SeenBodies) SeenBodies.Add(Encoding.UTF8.GetString(peerSeen));
            return Encoding.UTF8.GetBytes("history of " + name);
        }

        /// <summary>Set: this attestor has "accepted the peer's history before", so the peer must claim in every session.</summary>
        public bool RequireClaim { get; init; }

        public LatticeException? RefusalWithoutClaim(Guid peer) => RequireClaim ? new CorruptionException("no claim from a peer attested before") : null;

        public void Judge(Guid peer, ReadOnlySpan<byte> claim)
        {
            string text = Encoding.UTF8.GetString(claim);
            lock (Judged) Judged.Add(text);
            if (!accept(text)) throw new CorruptionException($"refused '{text}'");
        }
    }

    [Fact]
    public async Task SyncWith_BothAttest_EachJudgesTheOthersClaim()
    {
        using var dir = new TempDir("attest-both");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        var onA = new CountingAttestor("a", _ => true);
        var onB = new CountingAttestor("b", _ => true);
        SyncAttestors.Add(a.Db, onA);
        SyncAttestors.Add(b.Db, onB);
        a.Db.Put(a.Kv, B("k"), B("from a"));
        await using var server = a.Serve(b);

        var result = await b.Db.SyncWith(a.PeerAt(server));

        Assert.Equal(1, result.ChangesReceived);
        Assert.Equal(["history of a"], onB.Judged);
        Assert.Equal(["seen by b"], onA.SeenBodies);
        // The server judges b's claim in its own session; the client's round may end first.
        await server.StopAsync();
        Assert.Equal(["history of b"], onA.Judged);
        Assert.Equal(["seen by a"], onB.SeenBodies);
    }

    [Fact]
    public async Task SyncWith_PeerClaimRefused_NothingOfThePeerIsApplied_AndThePeerIsTold()
    {
        using var dir = new TempDir("attest-refuse");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        SyncAttestors.Add(a.Db, new CountingAttestor("a", _ => true));
        var onB = new CountingAttestor("b", claim => claim != "history of a");
        SyncAttestors.Add(b.Db, onB);
        for (int i = 0; i < 100; i++) a.Db.Put(a.Kv, B($"k{i}"), B("from a"));
        await using var server = a.Serve(b);

        var refusal = await Assert.ThrowsAsync<CorruptionException>(() => b.Db.SyncWith(a.PeerAt(server)));
        Assert.Contains("refused 'history of a'", refusal.Message);
        Assert.Empty(TestDb.Contents(b.Db, b.Kv));
        Assert.DoesNotContain(b.Db.GetChanges(ChangeCursor.Beginning), c => c.Origin != b.Db.ReplicaId);
    }

    [Fact]
    public async Task SyncWith_ServerRefusesClientsClaim_ClientSeesARefusal()
    {
        using var dir = new TempDir("attest-server-refuses");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        SyncAttestors.Add(a.Db, new CountingAttestor("a", claim => claim != "history of b"));
        SyncAttestors.Add(b.Db, new CountingAttestor("b", _ => true));
        b.Db.Put(b.Kv, B("k"), B("from b"));
        await using var server = a.Serve(b);

        // The client reads the server's Error frame (code Refused) or, when the server's close
        // resets the connection first, a broken connection: either way the round fails.
        await Assert.ThrowsAsync<SyncConnectionException>(() => b.Db.SyncWith(a.PeerAt(server)));
        await server.StopAsync();
        Assert.Empty(TestDb.Contents(a.Db, a.Kv));
    }

    [Fact]
    public async Task SyncWith_OnlyOneSideAttests_TheOtherAnswersEmpty_AndSyncProceeds()
    {
        using var dir = new TempDir("attest-one-side");
        using var a = new SyncReplica(dir, "a");
        using var b = new SyncReplica(dir, "b");
        var onB = new CountingAttestor("b", claim => claim.Length == 0);
        SyncAttestors.Add(b.Db, onB);
        a.Db.Put(a.Kv, B("k"), B("from a"));
        await using var server = a.Serve(b);

        var result = await b.Db.SyncWith(a.PeerAt(server));

        Assert.Equal(1, result.ChangesReceived);
        Assert.Equal([""], onB.Judged);
    }

    [Theory]
    [InlineData(1)] // a peer offering only version 1 (no attestations): a downgrade
    [InlineData(3)] // a peer at the current version that answers no Seen and sends its changes
    public async Task SyncWith_PeerAttestedBeforeProvesNothing_Refused_NothingApplied(int peerVersion)
    {
        using var dir = new TempDir("attest-skipped");
        using var b = new SyncReplica(dir, "b");
        SyncAttestors.Add(b.Db, new CountingAttestor("b", _ => true) { RequireClaim = true });
        using var rogueIdentity = SyncIdentity.Create("rogue");
        var settings = new SyncTransportSettings(rogueIdentity, [b.Identity.PeerId], Guid.NewGuid()) { MaxVersion = (ushort)peerVersion };
        await using var rogue = new Transport.RecordingServer(settings);
        var sync = b.Db.SyncWith(new SyncPeer("127.0.0.1", rogue.Port, rogueIdentity.PeerId));
        var channel = await rogue.NextInvocation();
        if (peerVersion >= 2)
        {
            var changes = new LatticeKV.Coding.ByteWriter(256);
            SyncMessages.EncodeChanges(changes, caughtUp: true, through: 1,
            [
                new LatticeKV.Replication.RemoteChange
                {
                    Origin = Guid.NewGuid(), OriginSequence = 1, Timestamp = 1 << 16, ColumnFamily = "kv", Operation = ChangeOperation.Put,
                    Key = B("planted"), Value = B("x"), Context = new LatticeKV.Replication.VersionVector(), SourcePosition = 1,
                },
            ]);
            try { await channel.SendAsync(FrameType.Changes, changes.ToArray(), CancellationToken.None); }
            catch (SyncConnectionException) { } // b may close first
        }
        var refusal = await Assert.ThrowsAsync<CorruptionException>(() => sync.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("no claim from a peer attested before", refusal.Message, StringComparison.Ordinal);
        Assert.Null(b.Db.Get(b.Kv, B("planted")));
        await rogue.HandlerEnded();
        var error = Assert.Single(rogue.Received, f => f.Type == FrameType.Error);
        Assert.Contains("no claim", SyncError.Decode(error.Payload).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_SameNameTwice_IsRefused_AndRemoveForgetsIt()
    {
        using var dir = new TempDir("attest-registry");
        using var a = new SyncReplica(dir, "a");
        var first = new CountingAttestor("a", _ => true);
        SyncAttestors.Add(a.Db, first);
        Assert.Throws<InvalidArgumentException>(() => SyncAttestors.Add(a.Db, new CountingAttestor("a", _ => true)));
        SyncAttestors.Remove(a.Db, first);
        Assert.Empty(SyncAttestors.Of(a.Db));
    }
}
