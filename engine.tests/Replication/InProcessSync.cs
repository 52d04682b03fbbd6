using LatticeKV.Replication;

namespace LatticeKV.Tests.Replication;

/// <summary>Moves changes from one database to another in process: what a sync session does, without the network.</summary>
internal static class InProcessSync
{
    /// <summary>Applies every change <paramref name="to"/> lacks from <paramref name="from"/>'s log, in batches; returns the changes sent.</summary>
    public static int Pull(LatticeDb from, LatticeDb to, int batchSize = 64)
    {
        var reader = new ChangeStreamReader(from.Replication, to.Replication.PeerCursor(from.ReplicaId), to.ReplicaId, to.Replication.Applied);
        var changes = new List<RemoteChange>();
        int sent = 0;
        while (reader.Read(batchSize, changes))
        {
            to.Replication.Applier.Apply(from.ReplicaId, changes, reader.Cursor);
            sent += changes.Count;
            changes.Clear();
        }
        return sent;
    }

    /// <summary>Exchanges changes among all of <paramref name="dbs"/> until none moves.</summary>
    public static void Converge(IReadOnlyList<LatticeDb> dbs)
    {
        for (int round = 0; round < 10; round++)
        {
            int moved = 0;
            foreach (var a in dbs)
                foreach (var b in dbs)
                    if (a != b) moved += Pull(a, b);
            if (moved == 0) return;
        }
        throw new InvalidOperationException("changes still moved after 10 rounds");
    }
}
