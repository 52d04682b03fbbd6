namespace LatticeKV;

// Sync between replicas (engine/Sync): the public entry points. The implementation sits a layer
// above the database and is wired in at load (SyncEntry).
public sealed partial class LatticeDb
{
    /// <summary>
    /// Listens for sync sessions from the peers in <see cref="SyncServerOptions.TrustedPeerIds"/>
    /// (TLS 1.3, both sides authenticated by <see cref="DbOptions.SyncIdentity"/>): each session
    /// exchanges changes both ways and pushes new local changes while it is open.
    /// </summary>
    /// <exception cref="InvalidArgumentException">No <see cref="DbOptions.SyncIdentity"/>, or the address is taken.</exception>
    public SyncServer StartSyncServer(SyncServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfClosed();
        ThrowIfReadOnly("sync");
        return SyncEntry.StartServer!(this, options);
    }

    /// <summary>
    /// One sync round with <paramref name="peer"/>: pulls its changes this replica lacks and
    /// pushes this replica's the peer lacks (the offline queue), then returns. Interrupted, it
    /// resumes from the last batch either side applied.
    /// </summary>
    /// <exception cref="SyncConnectionException">The peer could not be reached, refused us, or the connection broke.</exception>
    public Task<SyncResult> SyncWith(SyncPeer peer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ThrowIfClosed();
        ThrowIfReadOnly("sync");
        return SyncEntry.SyncWith!(this, peer, cancellationToken);
    }

    /// <summary>
    /// Keeps this replica in sync with every peer in <paramref name="options"/>: one session per
    /// peer pushes local changes as they commit and pulls the peer's; a broken connection is
    /// retried with growing delays.
    /// </summary>
    public SyncAgent StartSyncAgent(SyncAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfClosed();
        ThrowIfReadOnly("sync");
        return SyncEntry.StartAgent!(this, options);
    }

    /// <summary>
    /// Syncs through a NATS JetStream stream shared by a sync group (<see cref="RelaySyncOptions"/>):
    /// publishes this replica's changes as they commit and applies the group's, sealed end to end
    /// under the group key. Its status appears in <see cref="GetSyncStatus"/> as one more peer.
    /// </summary>
    public SyncService StartRelaySync(RelaySyncOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfClosed();
        ThrowIfReadOnly("sync");
        return SyncEntry.StartRelay!(this, options);
    }

    /// <summary>
    /// Forgets which sync identity (peer id) the replica <paramref name="replicaId"/> authenticated
    /// with. Each replica id is bound to the identity of its first sync session, and a session in
    /// which another trusted identity presents it is refused (so that one trusted peer cannot pose as
    /// another replica and move its cursors). After a device's identity was replaced on purpose,
    /// forget the old binding: the next session binds the new one. Returns false when none was kept.
    /// </summary>
    public bool ForgetSyncPeerIdentity(Guid replicaId)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("sync");
        return Replication.ForgetPeerIdentity(replicaId);
    }

    /// <summary>Per peer this replica has synced with: pending changes and bytes (the offline queue), last success, lag, last error.</summary>
    public IReadOnlyList<PeerSyncStatus> GetSyncStatus()
    {
        ThrowIfClosed();
        return SyncEntry.Status!(this);
    }
}
