using LatticeKV.Ledger;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

public class LedgerOrderTests
{
    [Fact]
    public void GetTransactions_MixedArrival_ChainOrderThenPendingByArrival()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("p2", "a", "b", 1));
        ledger.Append(InBlock(Payment("c", "a", "b", 1), 11, 0));
        ledger.Append(InBlock(Payment("b", "a", "b", 1), 10, 5));
        ledger.Append(Payment("p1", "a", "b", 1));
        ledger.Append(InBlock(Payment("a", "a", "b", 1), 10, 2));
        Assert.Equal(["a", "b", "c", "p2", "p1"], Ids(ledger.GetTransactions(Chain)));
        Assert.Equal(["p1", "p2", "c", "b", "a"], Ids(ledger.GetTransactions(Chain, new LedgerQuery { NewestFirst = true })));
    }

    [Fact]
    public void GetTransactions_Paged_EveryTransactionOnceInBothDirections()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        var expected = new List<string>();
        for (int h = 0; h < 25; h++)
        {
            string id = $"t{h:D2}";
            expected.Add(id);
            ledger.Append(InBlock(Payment(id, "a", "b", 1), h, 0));
        }
        foreach (bool newestFirst in new[] { false, true })
        {
            var seen = new List<string>();
            string? continuation = null;
            int pages = 0;
            do
            {
                var page = ledger.GetTransactions(Chain, new LedgerQuery { Limit = 7, NewestFirst = newestFirst, Continuation = continuation });
                seen.AddRange(Ids(page));
                continuation = page.Continuation;
                pages++;
            }
            while (continuation is not null);
            Assert.Equal(newestFirst ? [.. Enumerable.Reverse(expected)] : expected, seen);
            Assert.Equal(4, pages);
        }
    }

    [Fact]
    public void GetAccountHistory_OnlyTheAccountsTransactions_InChainOrder()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(InBlock(Payment("x", "alice", "bob", 1), 5, 0));
        ledger.Append(InBlock(Payment("y", "carol", "dave", 1), 4, 0));
        ledger.Append(InBlock(Payment("z", "bob", "carol", 1), 3, 0));
        Assert.Equal(["z", "x"], Ids(ledger.GetAccountHistory(Chain, "bob")));
        Assert.Equal(["x", "z"], Ids(ledger.GetAccountHistory(Chain, "bob", new LedgerQuery { NewestFirst = true })));
        Assert.Empty(ledger.GetAccountHistory(Chain, "bo").Transactions); // a prefix of an account is another account
    }

    [Fact]
    public void GetTransactions_ForeignContinuation_ThrowsLedgerArgumentException()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Assert.Throws<LedgerArgumentException>(() => ledger.GetTransactions(Chain, new LedgerQuery { Continuation = "zz" }));
        Assert.Throws<LedgerArgumentException>(() => ledger.GetTransactions(Chain, new LedgerQuery { Continuation = "0102" }));
        Assert.Throws<LedgerArgumentException>(() => ledger.GetTransactions(Chain, new LedgerQuery { Limit = 0 }));
    }
}
