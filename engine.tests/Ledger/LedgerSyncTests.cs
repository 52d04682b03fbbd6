using LatticeKV.Ledger;
using LatticeKV.Tests.Replication;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>Two replicas exchange ledger.tx changes (sync without the network): every replica folds each transaction once.</summary>
public class LedgerSyncTests
{
    [Fact]
    public void Sync_SameTransactionOnBothReplicas_CountsOnce()
    {
        using var dir = new TempDir("ledger-sync");
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"));
        using var la = Open(a);
        using var lb = Open(b);
        la.Append(Payment("both", "alice", "bob", 10));
        lb.Append(Payment("both", "alice", "bob", 10));
        la.Append(Payment("onlyA", "alice", "bob", 1));
        lb.Append(InBlock(Payment("onlyB", "alice", "bob", 100), 5, 0));
        InProcessSync.Converge([a, b]);
        la.CatchUpWithSync();
        lb.CatchUpWithSync();
        foreach (var ledger in new[] { la, lb })
        {
            Assert.Equal(111, ledger.GetBalance(Chain, "bob", "BTC"));
            var ids = Ids(ledger.GetTransactions(Chain));
            Assert.Equal("onlyB", ids[0]); // confirmed first; the pending ones in this replica's arrival order
            Assert.Equal(["both", "onlyA"], ids[1..].Order());
            Assert.True(ledger.VerifyBalances().IsConsistent);
        }
    }

    [Fact]
    public void Sync_StatusChangeArrives_RefoldedWithoutDoubleCounting()
    {
        using var dir = new TempDir("ledger-sync");
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"));
        using var la = Open(a);
        using var lb = Open(b);
        var tx = Payment("t", "alice", "bob", 10);
        la.Append(tx);
        InProcessSync.Pull(a, b);
        lb.CatchUpWithSync();
        Assert.Equal(10, lb.GetBalance(Chain, "bob", "BTC"));
        la.Append(InBlock(tx, 3, 0));
        la.Reorganize(Chain, 3, []);
        InProcessSync.Pull(a, b);
        lb.CatchUpWithSync();
        Assert.Equal(LedgerStatus.Orphaned, lb.GetTransaction(Chain, "t")!.Status);
        Assert.Equal(0, lb.GetBalance(Chain, "bob", "BTC"));
        Assert.True(lb.VerifyBalances().IsConsistent);
    }

    [Fact]
    public void Open_AfterSyncWhileClosed_FoldsWhatArrived()
    {
        using var dir = new TempDir("ledger-sync");
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"));
        using (var la = Open(a)) la.Append(Payment("t", "alice", "bob", 10));
        Open(b).Dispose(); // b's ledger families exist, its ledger is closed
        InProcessSync.Pull(a, b);
        using var lb = Open(b);
        Assert.Equal(10, lb.GetBalance(Chain, "bob", "BTC"));
    }
}
