using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// Ledgers syncing over real TCP and TLS on loopback: a transaction appended on two devices counts
/// once, each replica checks the other's signed checkpoints, and a replica offered a forked or
/// rewritten history refuses it before applying anything of it.
/// </summary>
public sealed class LedgerSyncCheckpointTests
{
    private sealed class Replica : IDisposable
    {
        private readonly string _path;
        private readonly SyncIdentity _identity;

        public Replica(string path, SyncIdentity identity)
        {
            _path = path;
            _identity = identity;
            Db = LatticeDb.Open(path, new DbOptions { SyncIdentity = identity });
            Ledger = LatticeKV.Ledger.Ledger.Open(Db);
        }

        public Replica(TempDir dir, string name) : this(dir.Sub(name), SyncIdentity.Create(name)) { }

        public LatticeDb Db { get; private set; }
        public LatticeKV.Ledger.Ledger Ledger { get; private set; }
        public string PeerId => _identity.PeerId;

        public SyncServer Serve(Replica trusted)
        {
            var options = new SyncServerOptions();
            options.TrustedPeerIds.Add(trusted.PeerId);
            return Db.StartSyncServer(options);
        }

        public SyncPeer PeerAt(SyncServer server) => new("127.0.0.1", server.Port, PeerId);

        /// <summary>A copy of this replica's directory as it stands (closed first, reopened after): same replica id, same signing key.</summary>
        public Replica CloneTo(string path)
        {
            Dispose();
            CopyDirectory(_path, path);
            Db = LatticeDb.Open(_path, new DbOptions { SyncIdentity = _identity });
            Ledger = LatticeKV.Ledger.Ledger.Open(Db);
            return new Replica(path, _identity);
        }

        public void Dispose()
        {
            Ledger.Dispose();
            Db.Dispose();
        }

        private static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            foreach (var sub in Directory.GetDirectories(from)) CopyDirectory(sub, Path.Combine(to, Path.GetFileName(sub)));
        }
    }

    [Fact]
    public async Task SyncWith_SameTransactionOnBothDevices_CountsOnce()
    {
        using var dir = new TempDir("ledger-sync-once");
        using var a = new Replica(dir, "a");
        using var b = new Replica(dir, "b");
        a.Ledger.Append(Payment("t1", "alice", "bob", 40));
        a.Ledger.Append(Payment("t2", "alice", "carol", 5));
        b.Ledger.Append(Payment("t1", "alice", "bob", 40));
        b.Ledger.Append(Payment("t3", "bob", "alice", 1));
        await using var server = a.Serve(b);

        await b.Db.SyncWith(a.PeerAt(server));
        await server.StopAsync();

        foreach (var r in new[] { a, b })
        {
            r.Ledger.CatchUpWithSync();
            Assert.Equal(-44, (long)r.Ledger.GetBalance(Chain, "alice", "BTC"));
            Assert.Equal(39, (long)r.Ledger.GetBalance(Chain, "bob", "BTC"));
            Assert.Equal(5, (long)r.Ledger.GetBalance(Chain, "carol", "BTC"));
            var report = r.Ledger.Verify();
            Assert.True(report.IsConsistent, string.Join("; ", report.Problems.Select(p => p.Description)));
        }
    }

    [Fact]
    public async Task SyncWith_PeersHistoryExtendsWhatWasSeen_IsAccepted_AndCheckpointsAreBooked()
    {
        using var dir = new TempDir("ledger-sync-extend");
        using var a = new Replica(dir, "a");
        using var b = new Replica(dir, "b");
        await using var server = a.Serve(b);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 5; i++) a.Ledger.Append(Payment($"r{round}-{i}", "alice", "bob", 1));
            await b.Db.SyncWith(a.PeerAt(server));
        }
        b.Ledger.CatchUpWithSync();
        Assert.Equal(15, (long)b.Ledger.GetBalance(Chain, "bob", "BTC"));
        // a's last checkpoint, as b accepted it, verifies with a's key and names a's whole log then.
        var checkpoint = a.Ledger.GetCheckpoint();
        Assert.True(checkpoint.Verify(a.Ledger.PublicKey));
        Assert.Equal(a.Ledger.TreeSize, checkpoint.TreeSize);
    }

    [Fact]
    public async Task SyncWith_PeerRewroteItsHistory_IsRefused_AndNothingOfItIsApplied()
    {
        using var dir = new TempDir("ledger-sync-fork");
        using var b = new Replica(dir, "b");
        var a = new Replica(dir, "a");
        try
        {
            a.Ledger.Append(Payment("t1", "alice", "bob", 10));
            a.Ledger.Append(Payment("t2", "alice", "bob", 10));
            // A copy of a as it stands: the same replica, the same signing key.
            using var rewritten = a.CloneTo(dir.Sub("a-rewritten"));
            a.Ledger.Append(Payment("t3", "alice", "bob", 10));
            await using (var server = a.Serve(b))
            {
                await b.Db.SyncWith(a.PeerAt(server));
            }
            b.Ledger.CatchUpWithSync();
            Assert.Equal(30, (long)b.Ledger.GetBalance(Chain, "bob", "BTC"));

            // The copy goes another way from the same start: its third leaf is not a's.
            rewritten.Ledger.Append(Payment("t3-other", "alice", "mallory", 1000));
            rewritten.Ledger.Append(Payment("t4-other", "alice", "mallory", 1000));
            await using var forked = rewritten.Serve(b);
            var refusal = await Assert.ThrowsAsync<LedgerForkException>(() => b.Db.SyncWith(rewritten.PeerAt(forked)));
            Assert.Equal(a.Db.ReplicaId.ToString("D"), refusal.PeerId);
            Assert.Equal(3, refusal.AcceptedSize);

            b.Ledger.CatchUpWithSync();
            Assert.Equal(0, (long)b.Ledger.GetBalance(Chain, "mallory", "BTC"));
            Assert.Null(b.Ledger.GetTransaction(Chain, "t3-other"));
            // The honest replica still syncs.
            await using var honest = a.Serve(b);
            await b.Db.SyncWith(a.PeerAt(honest));
        }
        finally
        {
            a.Dispose();
        }
    }

    [Fact]
    public async Task SyncWith_PeerAttestedBefore_NowWithoutItsLedger_IsRefused_AndNothingOfItIsApplied()
    {
        // A copy of a forks the history, then serves with its ledger closed: no attestor, so its claim
        // is empty. Once b has accepted a's history, a claim of nothing is a refusal, not a pass.
        using var dir = new TempDir("ledger-sync-no-claim");
        using var b = new Replica(dir, "b");
        var a = new Replica(dir, "a");
        try
        {
            a.Ledger.Append(Payment("t1", "alice", "bob", 10));
            using var copy = a.CloneTo(dir.Sub("a-copy"));
            await using (var server = a.Serve(b))
            {
                await b.Db.SyncWith(a.PeerAt(server));
            }
            copy.Ledger.Append(Payment("t2-other", "alice", "mallory", 1000));
            copy.Ledger.Dispose();
            await using var silent = copy.Serve(b);
            var refusal = await Assert.ThrowsAsync<LedgerForkException>(() => b.Db.SyncWith(copy.PeerAt(silent)));
            Assert.Equal(a.Db.ReplicaId.ToString("D"), refusal.PeerId);
            Assert.Contains("no ledger checkpoint", refusal.Message, StringComparison.Ordinal);
            b.Ledger.CatchUpWithSync();
            Assert.Null(b.Ledger.GetTransaction(Chain, "t2-other"));
            Assert.Equal(0, (long)b.Ledger.GetBalance(Chain, "mallory", "BTC"));
        }
        finally
        {
            a.Dispose();
        }
    }

    [Fact]
    public async Task SyncWith_PeerRolledBack_IsRefused()
    {
        using var dir = new TempDir("ledger-sync-rollback");
        using var b = new Replica(dir, "b");
        var a = new Replica(dir, "a");
        try
        {
            a.Ledger.Append(Payment("t1", "alice", "bob", 10));
            using var older = a.CloneTo(dir.Sub("a-older"));
            a.Ledger.Append(Payment("t2", "alice", "bob", 10));
            await using (var server = a.Serve(b))
            {
                await b.Db.SyncWith(a.PeerAt(server));
            }
            // The older copy has a prefix of the history b accepted: a rollback, refused as well.
            await using var stale = older.Serve(b);
            var refusal = await Assert.ThrowsAsync<LedgerForkException>(() => b.Db.SyncWith(older.PeerAt(stale)));
            Assert.Contains("smaller", refusal.Message);
        }
        finally
        {
            a.Dispose();
        }
    }
}
