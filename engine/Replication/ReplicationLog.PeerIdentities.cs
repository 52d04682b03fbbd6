using System.Text;

namespace LatticeKV.Replication;

// Which sync identity each peer replica authenticated with (FORMAT.md §15, `peerid/`): a replica id
// in a Hello is the peer's own say-so, and a trusted peer presenting another replica's id could
// move that replica's cursors here and make its changes be skipped. The first identity a replica
// id arrives with is kept; another is refused until the binding is forgotten.
internal sealed partial class ReplicationLog
{
    private static readonly byte[] PeerIdentityPrefix = "peerid/"u8.ToArray();
    private readonly Lock _identityLock = new();

    private static byte[] PeerIdentityKey(Guid replica) => [.. PeerIdentityPrefix, .. replica.ToByteArray()];

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
    /// Binds <paramref name="replica"/> to <paramref name="peerId"/> at its first session, and
    /// checks the binding at every later one.
    /// </summary>
    /// <exception cref="SyncProtocolException">The replica id is bound to another peer id.</exception>
    public void BindPeerIdentity(Guid replica, string peerId)
    {
        if (_state is null) return;
        lock (_identityLock)
        {
            var bound = PeerIdentity(replica);
            if (bound is null) Db.Put(_state, PeerIdentityKey(replica), Encoding.ASCII.GetBytes(peerId));
            else if (bound != peerId)
                throw new SyncProtocolException($"peer {peerId} presents replica id {replica}, which synced before as peer {bound}: " +
                    "one replica's id claimed by another identity is refused (after a replica's identity was replaced on purpose, ForgetSyncPeerIdentity clears the old one)");
        }
    }

    /// <summary>Forgets which peer id <paramref name="replica"/> is bound to; its next session binds again. False when none was.</summary>
    public bool ForgetPeerIdentity(Guid replica)
    {
        if (_state is null) return false;
        lock (_identityLock)
        {
            if (PeerIdentity(replica) is null) return false;
            Db.Delete(_state, PeerIdentityKey(replica));
            return true;
        }
    }
}
