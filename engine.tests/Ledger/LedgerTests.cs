using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

public class LedgerTests
{
    [Fact]
    public void Append_Payment_BalancesCurrentWhenItReturns()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 1_000));
        Assert.Equal(-1_000, ledger.GetBalance(Chain, "alice", "BTC"));
        Assert.Equal(1_000, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(0, ledger.GetBalance(Chain, "carol", "BTC"));
        Assert.Equal(1, ledger.TreeSize);
        var stored = ledger.GetTransaction(Chain, "t1");
        Assert.NotNull(stored);
        Assert.Equal(LedgerStatus.Pending, stored.Status);
        Assert.Equal("raw:t1"u8.ToArray(), stored.RawTransaction);
    }

    [Fact]
    public void Append_SameTransactionTwice_CountsOnceAndAddsNoLeaf()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        var tx = Payment("t1", "alice", "bob", 500);
        ledger.Append(tx);
        ledger.Append(tx with { Postings = [.. tx.Postings.Reverse()] }); // same content, other order
        Assert.Equal(500, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(1, ledger.TreeSize);
    }

    [Fact]
    public void Append_PendingThenConfirmed_UpdatesStatusOnceAndAppendsALeaf()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        var tx = Payment("t1", "alice", "bob", 500);
        ledger.Append(tx);
        ledger.Append(InBlock(tx, 100, 3));
        ledger.Append(tx); // a late pending does not demote it
        Assert.Equal(500, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(2, ledger.TreeSize);
        var stored = ledger.GetTransaction(Chain, "t1")!;
        Assert.Equal(LedgerStatus.Confirmed(1), stored.Status);
        Assert.Equal(100, stored.BlockHeight);
        Assert.Equal(3, stored.Position);
        Assert.Equal(LedgerStatus.Pending, ledger.GetLeafRecord(0).Status);
        Assert.Equal(LedgerStatus.Confirmed(1), ledger.GetLeafRecord(1).Status);
        Assert.True(ledger.VerifyBalances().IsConsistent);
    }

    [Fact]
    public void Append_SameIdOtherPostings_ThrowsConflictAndKeepsTheFirst()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 500));
        var ex = Assert.Throws<LedgerConflictException>(() => ledger.Append(Payment("t1", "alice", "bob", 501)));
        Assert.Equal("t1", ex.TransactionId);
        Assert.Equal(500, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(1, ledger.TreeSize);
    }

    [Theory]
    [InlineData("", "t1")]
    [InlineData("bitcoin", "")]
    public void Append_EmptyIds_ThrowsLedgerArgumentException(string chain, string txid)
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(Payment(txid, "a", "b", 1, chain)));
        Assert.Equal(0, ledger.TreeSize);
    }

    [Fact]
    public void Append_BadPlacement_ThrowsLedgerArgumentException()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        var tx = Payment("t1", "a", "b", 1);
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(InBlock(tx, -1, 0)));
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(tx with { BlockHeight = 5 })); // pending with a height
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(tx with { BlockHeight = 5, Status = LedgerStatus.Confirmed(0) }));
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(tx with { Status = LedgerStatus.Final })); // final without a block
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(InBlock(tx, 5, -1)));
    }

    [Fact]
    public void Append_PostingsOverflow_ThrowsAndWritesNothing()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        var tx = Payment("t1", "a", "b", 1) with { Postings = [new("a", "X", Int128.MaxValue), new("a", "X", 1)] };
        Assert.Throws<LedgerArgumentException>(() => ledger.Append(tx));
        Assert.Equal(0, ledger.GetBalance(Chain, "a", "X"));
        Assert.Null(ledger.GetTransaction(Chain, "t1"));
    }

    [Fact]
    public void Append_AmountsBeyondInt64_AreExact()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Int128 wei = Int128.Parse("120000000000000000000000000", System.Globalization.CultureInfo.InvariantCulture);
        ledger.Append(Payment("e1", "a", "b", 1) with { Postings = [new("a", "ETH", wei)] });
        ledger.Append(Payment("e2", "a", "b", 1) with { Postings = [new("a", "ETH", wei)] });
        Assert.Equal(wei * 2, ledger.GetBalance(Chain, "a", "ETH"));
    }

    [Fact]
    public void AppendBatch_OneConflict_WritesNothing()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        ledger.Append(Payment("t1", "alice", "bob", 5));
        Assert.Throws<LedgerConflictException>(() => ledger.AppendBatch([Payment("t2", "alice", "bob", 7), Payment("t1", "alice", "bob", 6)]));
        Assert.Null(ledger.GetTransaction(Chain, "t2"));
        Assert.Equal(5, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(1, ledger.TreeSize);
        ledger.AppendBatch([Payment("t2", "alice", "bob", 7), Payment("t3", "bob", "carol", 2)]);
        Assert.Equal(10, ledger.GetBalance(Chain, "bob", "BTC"));
        Assert.Equal(3, ledger.TreeSize);
    }

    [Fact]
    public void Open_Reopened_KeepsBalancesLeavesAndArrivalOrder()
    {
        using var dir = new TempDir("ledger");
        byte[] root;
        using (var db = LatticeDb.Open(dir.Path))
        using (var ledger = Open(db))
        {
            ledger.Append(Payment("p1", "alice", "bob", 5));
            root = ledger.RootHash;
        }
        using (var db = LatticeDb.Open(dir.Path)) // no options: the ledger attaches its merge operator itself
        using (var ledger = Open(db))
        {
            Assert.Equal(root, ledger.RootHash);
            ledger.Append(Payment("p2", "alice", "bob", 6));
            Assert.Equal(11, ledger.GetBalance(Chain, "bob", "BTC"));
            Assert.Equal(["p1", "p2"], Ids(ledger.GetTransactions(Chain)));
            Assert.True(ledger.VerifyBalances().IsConsistent);
        }
    }

    [Fact]
    public void Open_NewerFormatVersion_ThrowsLedgerVersionException()
    {
        using var dir = new TempDir("ledger");
        using var db = LatticeDb.Open(dir.Path);
        Open(db).Dispose();
        db.Put(db.GetColumnFamily("ledger.meta"), "format"u8, [2, 0, 0, 0]);
        var ex = Assert.Throws<LedgerVersionException>(() => Open(db));
        Assert.Equal(2u, ex.StoredVersion);
    }

    [Fact]
    public void Open_EncryptedWithoutDatabaseEncryption_Throws()
    {
        using var dir = new TempDir("ledger");
        using var db = LatticeDb.Open(dir.Path);
        Assert.Throws<InvalidArgumentException>(() => Open(db, new LedgerOptions { Encrypted = true }));
    }

    [Fact]
    public void Open_FinalityDepthOutOfRange_Throws()
    {
        using var dir = new TempDir("ledger");
        using var db = LatticeDb.Open(dir.Path);
        Assert.Throws<LedgerArgumentException>(() => Open(db, new LedgerOptions { FinalityDepth = 0 }));
    }
}
