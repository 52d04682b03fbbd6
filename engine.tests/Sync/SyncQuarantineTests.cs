using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sync;

/// <summary>A sync session over real TCP and TLS with a validating replica: refused changes are quarantined, reported, and the session carries on.</summary>
public sealed class SyncQuarantineTests
{
    [Fact]
    public async Task ASession_QuarantinesWhatTheValidatorRefuses_ReportsIt_AndMovesEverythingElse()
    {
        using var dir = new TempDir("sync-quarantine");
        var aId = SyncIdentity.Create("a");
        var bId = SyncIdentity.Create("b");
        using var a = LatticeDb.Open(dir.Sub("a"), new DbOptions { SyncIdentity = aId });
        using var b = LatticeDb.Open(dir.Sub("b"), new DbOptions { SyncIdentity = bId });
        var aDocs = a.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true });
        var bDocs = b.CreateColumnFamily("docs", new ColumnFamilyOptions { Replicated = true, Validator = ValueValidators.Json });
        for (int i = 0; i < 300; i++) a.Put(aDocs, B($"k{i:D3}"), B(i % 10 == 0 ? $"not json {i}" : $"{{\"i\":{i}}}"));
        var options = new SyncServerOptions();
        options.TrustedPeerIds.Add(bId.PeerId);
        await using var server = a.StartSyncServer(options);

        var result = await b.SyncWith(new SyncPeer("127.0.0.1", server.Port, aId.PeerId));
        Assert.Equal(30, result.Quarantined);
        Assert.Equal(300, result.ChangesReceived);
        Assert.Equal(270, Contents(b, bDocs).Count);
        Assert.Null(b.Get(bDocs, B("k010")));
        Assert.Equal("{\"i\":11}", S(b.Get(bDocs, B("k011"))));
        var status = Assert.Single(b.GetSyncStatus());
        Assert.Equal(a.ReplicaId, status.ReplicaId);
        Assert.Equal(30, status.QuarantinedChanges);
        Assert.Equal(30, b.GetQuarantinedChanges().Count);

        // The session's cursor moved past the refused changes: the next round carries only what is new.
        a.Put(aDocs, B("k010"), B("{\"i\":10}"));
        var again = await b.SyncWith(new SyncPeer("127.0.0.1", server.Port, aId.PeerId));
        Assert.Equal(0, again.Quarantined);
        Assert.Equal(1, again.ChangesReceived);
        Assert.Equal("{\"i\":10}", S(b.Get(bDocs, B("k010"))));
    }
}
