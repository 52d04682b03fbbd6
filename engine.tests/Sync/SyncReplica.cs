using LatticeKV.Db;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sync;

/// <summary>A database with a sync identity and one replicated family "kv", for the in-process sync tests.</summary>
internal sealed class SyncReplica : IDisposable
{
    public SyncReplica(TempDir dir, string name, TestHooks? hooks = null)
    {
        Identity = SyncIdentity.Create(name);
        Db = LatticeDb.Open(dir.Sub(name), new DbOptions { SyncIdentity = Identity, WriteBufferSize = 256 * 1024, TestHooks = hooks });
        Kv = Db.CreateColumnFamily("kv", new ColumnFamilyOptions { Replicated = true });
    }

    public SyncIdentity Identity { get; }
    public LatticeDb Db { get; }
    public ColumnFamilyHandle Kv { get; }

    /// <summary>Starts a sync server on a free loopback port that trusts <paramref name="trusted"/>.</summary>
    public SyncServer Serve(SyncReplica trusted)
    {
        var options = new SyncServerOptions();
        options.TrustedPeerIds.Add(trusted.Identity.PeerId);
        return Db.StartSyncServer(options);
    }

    /// <summary>This replica as a peer listening at <paramref name="port"/>.</summary>
    public SyncPeer PeerAt(int port) => new("127.0.0.1", port, Identity.PeerId);

    public SyncPeer PeerAt(SyncServer server) => PeerAt(server.Port);

    public void Dispose()
    {
        Db.Dispose();
        Identity.Dispose();
    }
}
