using LatticeKV.Ledger;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Ledgers;

/// <summary>A balance never leaves the range of <see cref="Int128"/>: the append that would push it out is refused, and nothing of it is written.</summary>
public sealed class LedgerBalanceOverflowTests
{
    private static LedgerTransaction Move(string txid, string from, string to, Int128 amount) => new()
    {
        Chain = "bitcoin",
        TransactionId = txid,
        Postings = [new LedgerPosting(from, "BTC", -amount), new LedgerPosting(to, "BTC", amount)],
    };

    [Fact]
    public void Append_BalanceWouldOverflow_IsRefused_AndTheBalanceStaysReadable()
    {
        using var dir = new TempDir("ledger-overflow");
        using var db = LatticeDb.Open(dir.Path);
        using var ledger = LatticeKV.Ledger.Ledger.Open(db);
        ledger.Append(Move("t1", "mint", "alice", Int128.MaxValue));
        long size = ledger.TreeSize;

        var refused = Assert.Throws<LedgerArgumentException>(() => ledger.Append(Move("t2", "bob", "alice", 1)));
        Assert.DoesNotContain("alice", refused.Message, StringComparison.Ordinal);
        Assert.Throws<LedgerArgumentException>(() => ledger.AppendBatch([Move("t3", "carol", "dave", 5), Move("t4", "erin", "alice", 2)]));

        Assert.Equal(Int128.MaxValue, ledger.GetBalance("bitcoin", "alice", "BTC"));
        Assert.Equal(Int128.Zero, ledger.GetBalance("bitcoin", "bob", "BTC"));
        Assert.Equal(Int128.Zero, ledger.GetBalance("bitcoin", "dave", "BTC")); // the whole batch was refused
        Assert.Null(ledger.GetTransaction("bitcoin", "t2"));
        Assert.Equal(size, ledger.TreeSize);
        // Money leaving the account is fine, down to the lowest balance.
        ledger.Append(Move("t5", "alice", "bob", Int128.MaxValue));
        Assert.Equal(Int128.Zero, ledger.GetBalance("bitcoin", "alice", "BTC"));
        Assert.True(ledger.Verify().IsConsistent);
    }
}
