using LatticeKV.Ledger;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

public class LedgerChainTests
{
    [Fact]
    public void SetChainTip_Advancing_DeepensThenFinalizes()
    {
        using var fx = new LedgerFixture(new LedgerOptions { FinalityDepth = 3 });
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(InBlock(Payment("t", "a", "b", 1), 100, 0));
        ledger.SetChainTip(Chain, 101);
        Assert.Equal(LedgerStatus.Confirmed(2), ledger.GetTransaction(Chain, "t")!.Status);
        ledger.SetChainTip(Chain, 102);
        Assert.Equal(LedgerStatus.Final, ledger.GetTransaction(Chain, "t")!.Status);
        long leaves = ledger.TreeSize;
        ledger.SetChainTip(Chain, 110);
        Assert.Equal(leaves, ledger.TreeSize); // a final record does not change again
        Assert.Equal(110, ledger.GetChainTip(Chain));
        Assert.Throws<LedgerArgumentException>(() => ledger.SetChainTip(Chain, 109));
    }

    [Fact]
    public void Append_BelowKnownTip_StoredWithTheTipsDepth()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.SetChainTip(Chain, 200);
        ledger.Append(InBlock(Payment("t", "a", "b", 1), 199, 0));
        Assert.Equal(LedgerStatus.Confirmed(2), ledger.GetTransaction(Chain, "t")!.Status);
        ledger.Append(InBlock(Payment("u", "a", "b", 1), 150, 0));
        Assert.Equal(LedgerStatus.Final, ledger.GetTransaction(Chain, "u")!.Status);
    }

    [Fact]
    public void Reorganize_OrphansAndReappliesAtomically_KeepingHistory()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(InBlock(Payment("old", "alice", "bob", 10), 9, 0));
        ledger.Append(InBlock(Payment("gone", "alice", "bob", 100), 10, 0));
        ledger.Append(InBlock(Payment("moved", "alice", "carol", 7), 11, 0));
        ledger.SetChainTip(Chain, 11);
        Assert.Equal(110, ledger.GetBalance(Chain, "bob", "BTC"));

        ledger.Reorganize(Chain, 10, [
            new LedgerBlock(10, BlockHash(10, "b"), []),
            new LedgerBlock(11, BlockHash(11, "b"), [Payment("new", "alice", "dave", 3)]),
            new LedgerBlock(12, BlockHash(12, "b"), [Payment("moved", "alice", "carol", 7) with { Position = 4 }]),
        ]);

        Assert.Equal(10, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(7, ledger.GetBalance(Chain, "carol", "BTC"));
        Assert.Equal(3, ledger.GetBalance(Chain, "dave", "BTC"));
        Assert.Equal(-20, ledger.GetBalance(Chain, "alice", "BTC"));
        var gone = ledger.GetTransaction(Chain, "gone")!;
        Assert.Equal(LedgerStatus.Orphaned, gone.Status);
        Assert.Equal(10, gone.BlockHeight); // history keeps where it was
        var moved = ledger.GetTransaction(Chain, "moved")!;
        Assert.Equal((12L, 4, LedgerStatus.Confirmed(1)), (moved.BlockHeight!.Value, moved.Position, moved.Status));
        Assert.Equal(LedgerStatus.Confirmed(4), ledger.GetTransaction(Chain, "old")!.Status);
        Assert.Equal(12, ledger.GetChainTip(Chain));
        Assert.Equal(["old", "new", "moved"], Ids(ledger.GetTransactions(Chain)));
        Assert.Equal(["old", "gone", "new", "moved"], Ids(ledger.GetTransactions(Chain, new LedgerQuery { IncludeOrphaned = true })));
        Assert.True(ledger.VerifyBalances().IsConsistent);
    }

    [Fact]
    public void Reorganize_NewBlockConflicts_WritesNothing()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(InBlock(Payment("gone", "alice", "bob", 100), 10, 0));
        long leaves = ledger.TreeSize;
        Assert.Throws<LedgerConflictException>(() => ledger.Reorganize(Chain, 10, [new LedgerBlock(10, "x", [Payment("gone", "alice", "bob", 1)])]));
        Assert.Equal(100, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(leaves, ledger.TreeSize);
        Assert.NotEqual(LedgerStatus.Orphaned, ledger.GetTransaction(Chain, "gone")!.Status);
    }

    [Fact]
    public void Reorganize_BlocksOutOfOrder_Throws()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Assert.Throws<LedgerArgumentException>(() => ledger.Reorganize(Chain, 10, [new LedgerBlock(9, "x", [])]));
        Assert.Throws<LedgerArgumentException>(() => ledger.Reorganize(Chain, 10, [new LedgerBlock(11, "x", []), new LedgerBlock(11, "y", [])]));
        Assert.Throws<LedgerArgumentException>(() => ledger.Reorganize(Chain, -1, []));
    }
}
