using System.Text;

namespace LatticeKV.Replication;

// Which sync identity each peer replica authenticated with (FORMAT.md §15, `peerid/` and
// `peerreplica/`): a replica id in a Hello is the peer's own say-so. A trusted peer presenting
// another replica's id could move that replica's cursors here and make its changes be skipped; one
// presenting a fresh id would owe none of the attestations its own id owes. So a replica id and an
// identity are bound to each other at their first session, both ways, and any other pairing is
// refused until the binding is forgotten.
internal sealed partial class ReplicationLog
{
    private static readonly byte[] PeerIdentityPrefix = "peerid/"u8.ToArray();
    private static readonly byte[] IdentityReplicaPrefix = "peerreplica/"u8.ToArray();
    private readonly Lock _identityLock = new();

    private static byte[] PeerIdentityKey(Guid replica) => [.. PeerIdentityPrefix, .. replica.ToByteArray()];

    private static byte[] IdentityReplicaKey(string peerId) => [.. IdentityReplicaPrefix, .. Encoding.ASCII.GetBytes(peerId)];

    /// <summary>The replica id <paramref name="peerId"/> is bound to, or null.</summary>
    /// <exception cref="CorruptionException">The stored binding is not a replica id.</exception>
    public Guid? ReplicaOfIdentity(string peerId)
    {
        if (_state is null) return null;
        var stored = Db.Get(_state, IdentityReplicaKey(peerId));
        if (stored is null) return null;
        if (stored.Length != 16) throw new CorruptionException($"the replica id stored for sync identity {peerId} is {stored.Length} bytes, not 16");
        return new Guid(stored);
    }

    /// <summary>The peer id (64 lowercase hex digits) <paramref name="replica"/> is bound to, or null.</summary>
    /// <exception cref="CorruptionException">The stored binding is not a peer id.</exception>
    public string? PeerIdentity(Guid replica)
    {
        if (_state is null) return null;
        var stored = Db.Get(_state, PeerIdentityKey(replica));
        if (stored is null) return null;
        if (stored.Length != 64 || !stored.All(static b => char.IsAsciiHexDigitLower((char)b)))
            throw new CorruptionException($"the sync identity stored for replica {replica} is not a peer id ({stored.Length} bytes)");
        return Encoding.ASCII.GetString(stored);
    }

    /// <summary>
    /// Binds <paramref name="replica"/> and <paramref name="peerId"/> to each other at their first
    /// session (one write), and checks both bindings at every later one.
    /// </summary>
    /// <exception cref="SyncProtocolException">The replica id is bound to another peer id, or the peer id to another replica id.</exception>
    public void BindPeerIdentity(Guid replica, string peerId)
    {
        if (_state is null) return;
        lock (_identityLock)
        {
            var bound = PeerIdentity(replica);
            if (bound is not null && bound != peerId)
                throw new SyncProtocolException($"peer {peerId} presents replica id {replica}, which synced before as peer {bound}: " +
                    $"one replica's id claimed by another identity is refused (after that replica's identity was replaced on purpose, ForgetSyncPeerIdentity({replica}) clears the old one)");
            var boundReplica = ReplicaOfIdentity(peerId);
            if (boundReplica is { } other && other != replica)
                throw new SyncProtocolException($"peer {peerId} presents replica id {replica}, but it synced before as replica {other}: " +
                    $"one identity presenting another replica id is refused (after that database was replaced on purpose, ForgetSyncPeerIdentity({other}) clears the old one)");
            if (bound is not null && boundReplica is not null) return;
            var batch = new WriteBatch();
            batch.Put(_state, PeerIdentityKey(replica), Encoding.ASCII.GetBytes(peerId));
            batch.Put(_state, IdentityReplicaKey(peerId), replica.ToByteArray());
            Db.Write(batch);
        }
    }

    /// <summary>
    /// Forgets which peer id <paramref name="replica"/> is bound to (both ways); its identity and
    /// its id are then free to bind again at their next session. False when none was kept.
    /// </summary>
    public bool ForgetPeerIdentity(Guid replica)
    {
        if (_state is null) return false;
        lock (_identityLock)
        {
            if (PeerIdentity(replica) is not { } peerId) return false;
            var batch = new WriteBatch();
            batch.Delete(_state, PeerIdentityKey(replica));
            if (ReplicaOfIdentity(peerId) == replica) batch.Delete(_state, IdentityReplicaKey(peerId));
            Db.Write(batch);
            return true;
        }
    }
}
