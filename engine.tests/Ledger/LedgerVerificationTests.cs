using LatticeKV.Ledger;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

public class LedgerVerificationTests
{
    [Fact]
    public void VerifyBalances_TamperedBalance_ReportsTheDifference()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 50));
        Assert.True(ledger.VerifyBalances().IsConsistent);
        db.Merge(db.GetColumnFamily("ledger.balances"), LedgerKeys.Balance(Chain, "bob", "BTC"), LedgerAmounts.Encode(1));
        var report = ledger.VerifyBalances();
        var difference = Assert.Single(report.BalanceDifferences);
        Assert.Equal(("bob", (Int128?)51, (Int128)50), (difference.Account, difference.Stored, difference.Expected));
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void VerifyBalances_TamperedRecord_ReportsRecordAndBalances()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 50));
        var forged = LedgerRecordCodec.Canonical(Payment("t1", "alice", "bob", 5000));
        db.Put(db.GetColumnFamily("ledger.tx"), LedgerKeys.Transaction(Chain, "t1"), LedgerRecordCodec.Encode(forged));
        var report = ledger.VerifyBalances();
        Assert.False(report.IsConsistent);
        Assert.Contains(report.Problems, p => p.TransactionId == "t1" && p.Description.Contains("differs", StringComparison.Ordinal));
        Assert.Equal(2, report.BalanceDifferences.Count);
    }

    [Fact]
    public void VerifyBalances_StaleAndMissingIndexEntries_Reported()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(InBlock(Payment("t1", "alice", "bob", 50), 7, 0));
        var index = db.GetColumnFamily("ledger.index");
        db.Delete(index, LedgerKeys.AccountEntry(Chain, "bob", 7, 0, "t1"));
        db.Put(index, LedgerKeys.ChainEntry(Chain, 3, 0, "ghost"), []);
        var report = ledger.VerifyBalances();
        Assert.Contains(report.Problems, p => p.TransactionId == "t1" && p.Description.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(report.Problems, p => p.Description.Contains("points to no record", StringComparison.Ordinal));
        Assert.Empty(report.BalanceDifferences);
    }

    [Fact]
    public void VerifyBalances_UndecodableRecord_ReportedNotThrown()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 50));
        db.Put(db.GetColumnFamily("ledger.tx"), LedgerKeys.Transaction(Chain, "t1"), [1, 2, 3]);
        var report = ledger.VerifyBalances();
        Assert.Contains(report.Problems, p => p.Description.Contains("cannot be decoded", StringComparison.Ordinal));
    }
}
