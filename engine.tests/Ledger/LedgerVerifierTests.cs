using LatticeKV.Ledger;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>
/// <see cref="LedgerVerifier"/>: bounded memory (a budget of held keys far below the number of
/// transactions, which throws when exceeded) and every kind of damage still found under it.
/// </summary>
public class LedgerVerifierTests
{
    // Four balances and the three index entries of one record fit; the entries of every
    // transaction (three each) would not.
    private const int SmallBudget = 16;

    [Fact]
    public void VerifyBalances_MoreTransactionsThanTheBudget_VerifiesWithinIt()
    {
        using var fx = new LedgerFixture();
        string[] accounts = ["alice", "bob", "carol", "dave"];
        const int count = 3_000;
        var all = Enumerable.Range(0, count)
            .Select(i => InBlock(Payment($"t{i:D5}", accounts[i % 4], accounts[(i + 1) % 4], 1 + i % 7), 100 + i / 50, i % 50))
            .ToList();
        foreach (var chunk in all.Chunk(500)) fx.Ledger.AppendBatch(chunk);
        fx.Ledger.Append(Payment("pending", "alice", "dave", 3));

        var budget = new LedgerVerifierBudget(SmallBudget);
        var report = fx.Ledger.VerifyBalancesWithin(1000, budget);

        Assert.True(report.IsConsistent, string.Join("; ", report.Problems.Select(p => p.Description)));
        Assert.Equal(count + 1, report.TransactionsChecked);
        Assert.Equal(4, report.BalancesChecked);
        Assert.InRange(budget.PeakHeld, 1, SmallBudget);
        Assert.True(fx.Ledger.VerifyWithin(1000, new LedgerVerifierBudget(SmallBudget)).IsConsistent);
    }

    [Fact]
    public void VerifyBalances_ExtraAndMissingEntriesInALargeLedger_FoundWithinTheBudget()
    {
        using var fx = new LedgerFixture();
        var all = Enumerable.Range(0, 2_000).Select(i => InBlock(Payment($"t{i:D5}", "alice", "bob", 1), 10 + i / 100, i % 100)).ToList();
        foreach (var chunk in all.Chunk(500)) fx.Ledger.AppendBatch(chunk);
        var index = fx.Db.GetColumnFamily("ledger.index");
        fx.Db.Delete(index, LedgerKeys.AccountEntry(Chain, "bob", 15, 7, "t00507"));
        fx.Db.Put(index, LedgerKeys.ChainEntry(Chain, 15, 8, "t00507"), []);

        var report = fx.Ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget));

        Assert.Equal(2, report.Problems.Count);
        Assert.Equal(new LedgerProblem(Chain, "t00507", "an index entry of the record is missing"), report.Problems[0]);
        Assert.Equal(new LedgerProblem(null, null, "an index entry points to no record's place"), report.Problems[1]);
        Assert.Empty(report.BalanceDifferences);
    }

    [Fact]
    public void VerifyBalances_MoreBalancesThanTheBudget_Throws()
    {
        using var fx = new LedgerFixture();
        fx.Ledger.AppendBatch(Enumerable.Range(0, 20).Select(i => Payment($"t{i}", $"from{i}", $"to{i}", 5)));

        var ex = Assert.Throws<InvalidOperationException>(() => fx.Ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget)));

        Assert.Contains("budget of 16", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, string> Tamperings() => new()
    {
        { "record-undecodable", null, "a transaction record cannot be decoded" },
        { "record-under-another-key", "t9", "the record is stored under another transaction's key" },
        { "record-forged", "t2", "the record differs from the one folded into balances and the Merkle log" },
        { "postings-overflow", "t2", "the postings overflow a balance" },
        { "marker-missing", "t2", "the record was never folded into balances and indexes" },
        { "marker-undecodable", "t2", "the fold marker cannot be decoded" },
        { "marker-wrong-leaf", "t2", "the record's Merkle leaf does not hold it" },
        { "marker-without-record", "t9", "a fold marker has no record" },
        { "index-entry-missing", "t2", "an index entry of the record is missing" },
        { "index-entry-of-no-transaction", null, "an index entry points to no record's place" },
        { "index-entry-misplaced", null, "an index entry points to no record's place" },
        { "index-entry-malformed", null, "an index entry points to no record's place" },
        { "balance-key-malformed", null, "a balance key cannot be decoded" },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void VerifyBalances_Tampered_ReportsTheProblem(string tampering, string? transactionId, string description)
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Seed(ledger);
        var tx = db.GetColumnFamily("ledger.tx");
        var folded = db.GetColumnFamily("ledger.folded");
        var index = db.GetColumnFamily("ledger.index");
        byte[] t2 = LedgerKeys.Transaction(Chain, "t2");
        byte[] t9 = LedgerKeys.Transaction(Chain, "t9");
        switch (tampering)
        {
            case "record-undecodable": db.Put(tx, t2, [1, 2, 3]); break;
            case "record-under-another-key": db.Put(tx, t9, db.Get(tx, t2)!); break;
            case "record-forged": db.Put(tx, t2, LedgerRecordCodec.Encode(LedgerRecordCodec.Canonical(InBlock(Payment("t2", "bob", "carol", 9_999), 7, 1)))); break;
            case "postings-overflow":
                var overflowing = InBlock(Payment("t2", "bob", "carol", 1), 7, 1) with { Postings = [new("bob", "BTC", Int128.MaxValue), new("bob", "BTC", 1)] };
                db.Put(tx, t2, LedgerRecordCodec.Encode(overflowing));
                break;
            case "marker-missing": db.Delete(folded, t2); break;
            case "marker-undecodable": db.Put(folded, t2, [9]); break;
            case "marker-wrong-leaf": db.Put(folded, t2, (FoldMarker.Decode(db.Get(folded, t2)!) with { LeafIndex = 0 }).Encode()); break;
            case "marker-without-record": db.Put(folded, t9, db.Get(folded, t2)!); break;
            case "index-entry-missing": db.Delete(index, LedgerKeys.AccountEntry(Chain, "carol", 7, 1, "t2")); break;
            case "index-entry-of-no-transaction": db.Put(index, LedgerKeys.ChainEntry(Chain, 3, 0, "ghost"), []); break;
            case "index-entry-misplaced": db.Put(index, LedgerKeys.AccountEntry(Chain, "carol", 7, 0, "t2"), []); break;
            case "index-entry-malformed": db.Put(index, [0x07, 0x00], []); break;
            case "balance-key-malformed": db.Put(db.GetColumnFamily("ledger.balances"), [0xFF], LedgerAmounts.Encode(1)); break;
            default: throw new ArgumentOutOfRangeException(nameof(tampering));
        }

        var report = ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget));

        Assert.False(report.IsConsistent);
        Assert.Contains(report.Problems, p => p.Description == description && (transactionId is null || p.TransactionId == transactionId));
    }

    [Theory]
    [InlineData("changed")]
    [InlineData("deleted")]
    [InlineData("unexpected")]
    public void VerifyBalances_TamperedBalance_ReportsTheDifference(string tampering)
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Seed(ledger);
        var balances = db.GetColumnFamily("ledger.balances");
        var (account, stored, expected) = tampering switch
        {
            "changed" => ("carol", 36, 35),
            "deleted" => ("carol", 0, 35),
            _ => ("mallory", 5, 0),
        };
        if (tampering == "deleted") db.Delete(balances, LedgerKeys.Balance(Chain, account, "BTC"));
        else db.Merge(balances, LedgerKeys.Balance(Chain, account, "BTC"), LedgerAmounts.Encode(tampering == "changed" ? 1 : 5));

        var report = ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget));

        var difference = Assert.Single(report.BalanceDifferences);
        Assert.Equal((account, (Int128?)stored, (Int128)expected), (difference.Account, difference.Stored, difference.Expected));
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void VerifyBalances_SeveralKindsOfDamage_ReportedInTheReportsOrderUpToMaxProblems()
    {
        using var fx = new LedgerFixture();
        var (db, ledger) = (fx.Db, fx.Ledger);
        Seed(ledger);
        var folded = db.GetColumnFamily("ledger.folded");
        // A marker with no record sorting before every record, met first when records are read.
        db.Put(folded, LedgerKeys.Transaction("a-chain", "t0"), db.Get(folded, LedgerKeys.Transaction(Chain, "t2"))!);
        db.Put(db.GetColumnFamily("ledger.index"), LedgerKeys.ChainEntry(Chain, 3, 0, "ghost"), []);
        db.Put(db.GetColumnFamily("ledger.tx"), LedgerKeys.Transaction(Chain, "t3"), [1, 2, 3]);
        db.Put(db.GetColumnFamily("ledger.balances"), [0xFF], LedgerAmounts.Encode(1));
        LedgerProblem[] all =
        [
            new(null, null, "a transaction record cannot be decoded"),
            new(null, null, "an index entry points to no record's place"), // the ghost
            new(null, null, "an index entry points to no record's place"), // t3's chain entry: its record no longer decodes
            new(null, null, "an index entry points to no record's place"), // t3's carol entry
            new(null, null, "an index entry points to no record's place"), // t3's alice entry
            new("a-chain", "t0", "a fold marker has no record"),
            new(null, null, "a balance key cannot be decoded"),
        ];

        var full = ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget));
        var capped = ledger.VerifyBalancesWithin(6, new LedgerVerifierBudget(SmallBudget));

        Assert.Equal(all.Select(p => p.Description).Order(StringComparer.Ordinal), full.Problems.Select(p => p.Description).Order(StringComparer.Ordinal));
        Assert.Equal("a transaction record cannot be decoded", full.Problems[0].Description);
        Assert.Equal(all[5..], full.Problems.ToArray()[5..]);
        Assert.Equal(full.Problems.Take(6), capped.Problems);
    }

    /// <summary>t1 and t2 in block 7, t3 pending: alice 50 to bob, bob 40 to carol, carol 5 to alice.</summary>
    private static void Seed(LatticeKV.Ledger.Ledger ledger)
    {
        ledger.Append(InBlock(Payment("t1", "alice", "bob", 50), 7, 0));
        ledger.Append(InBlock(Payment("t2", "bob", "carol", 40), 7, 1));
        ledger.Append(Payment("t3", "carol", "alice", 5));
        Assert.True(ledger.VerifyBalancesWithin(1000, new LedgerVerifierBudget(SmallBudget)).IsConsistent);
    }
}
