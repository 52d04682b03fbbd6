using LatticeKV.Replication;

namespace LatticeKV.Sync;

/// <summary>What this process knows of one peer's sync beyond what is stored: connected, last success, last error.</summary>
internal sealed class SyncPeerState
{
    private long _lastSuccessTicks = -1;
    private int _sessions;

    public bool Connected => Volatile.Read(ref _sessions) > 0;

    public DateTimeOffset? LastSuccess => Volatile.Read(ref _lastSuccessTicks) is >= 0 and var t ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    public volatile string? LastError;

    public void SessionStarted() => Interlocked.Increment(ref _sessions);

    public void SessionEnded(Exception? error)
    {
        Interlocked.Decrement(ref _sessions);
        LastError = error?.Message;
    }

    public void Received(ulong through, DateTimeOffset now) => Volatile.Write(ref _lastSuccessTicks, now.UtcTicks);

    public void Acknowledged(ReplicationLog log, Guid peer, ulong through, DateTimeOffset now)
    {
        log.SetPeerAcknowledged(peer, through);
        Volatile.Write(ref _lastSuccessTicks, now.UtcTicks);
    }
}

/// <summary>Each database's peer states (kept beside the database for the life of the process).</summary>
internal static class SyncRegistry
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LatticeDb, System.Collections.Concurrent.ConcurrentDictionary<Guid, SyncPeerState>> s_states = new();

    // Which replica a configured peer (by peer id) turned out to be, once a session began.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<LatticeDb, System.Collections.Concurrent.ConcurrentDictionary<string, Guid>> s_replicas = new();

    public static SyncPeerState For(LatticeDb db, Guid peer) => s_states.GetOrCreateValue(db).GetOrAdd(peer, _ => new SyncPeerState());

    public static void Learned(LatticeDb db, SyncPeer peer, Guid replica) => s_replicas.GetOrCreateValue(db)[peer.PeerId] = replica;

    /// <summary>A connection to a configured peer failed before a session began: its status says so (once its replica is known).</summary>
    public static void ConnectFailed(LatticeDb db, SyncPeer peer, Exception error)
    {
        if (s_replicas.GetOrCreateValue(db).TryGetValue(peer.PeerId, out var replica)) For(db, replica).LastError = error.Message;
    }

    public static IReadOnlyList<PeerSyncStatus> Status(LatticeDb db)
    {
        var log = db.Replication;
        var known = s_states.GetOrCreateValue(db);
        var acknowledged = log.PeersAcknowledged();
        var peers = new HashSet<Guid>(acknowledged.Keys);
        peers.UnionWith(known.Keys);
        var now = db.Options.Clock.GetUtcNow();
        var list = new List<PeerSyncStatus>();
        foreach (var peer in peers.OrderBy(p => p))
        {
            var (count, bytes, oldest) = log.Pending(acknowledged.GetValueOrDefault(peer), peer);
            known.TryGetValue(peer, out var state);
            var lag = oldest == 0 ? TimeSpan.Zero : now - HybridClock.WallTime(oldest);
            list.Add(new PeerSyncStatus(peer, state?.Connected ?? false, count, bytes, state?.LastSuccess, lag < TimeSpan.Zero ? TimeSpan.Zero : lag, state?.LastError,
                log.QuarantinedFrom(peer)));
        }
        return list;
    }
}
