using LatticeKV.Ledger;

namespace LatticeKV.Tests.Ledgers;

/// <summary>Transactions for the ledger tests.</summary>
internal static class LedgerTestData
{
    public const string Chain = "bitcoin";

    /// <summary>A pending payment of <paramref name="amount"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static LedgerTransaction Payment(string txid, string from, string to, long amount, string chain = Chain) => new()
    {
        Chain = chain,
        TransactionId = txid,
        RawTransaction = System.Text.Encoding.UTF8.GetBytes("raw:" + txid),
        Postings = [new LedgerPosting(from, "BTC", -amount), new LedgerPosting(to, "BTC", amount)],
    };

    /// <summary><paramref name="tx"/> confirmed in block <paramref name="height"/> at <paramref name="position"/>.</summary>
    public static LedgerTransaction InBlock(LedgerTransaction tx, long height, int position, int depth = 1)
        => tx with { BlockHeight = height, BlockHash = BlockHash(height), Position = position, Status = LedgerStatus.Confirmed(depth) };

    public static string BlockHash(long height, string fork = "a") => $"{fork}{height:x8}";

    public static LatticeKV.Ledger.Ledger Open(LatticeDb db, LedgerOptions? options = null) => LatticeKV.Ledger.Ledger.Open(db, options);

    public static string[] Ids(LedgerPage page) => [.. page.Transactions.Select(t => t.TransactionId)];
}

/// <summary>A ledger on a new database in its own temporary directory, all disposed together.</summary>
internal sealed class LedgerFixture : IDisposable
{
    private readonly LatticeKV.Tests.Support.TempDir _dir = new("ledger");

    public LedgerFixture(LedgerOptions? options = null)
    {
        Db = LatticeDb.Open(_dir.Path);
        Ledger = LatticeKV.Ledger.Ledger.Open(Db, options);
    }

    public LatticeDb Db { get; }

    public LatticeKV.Ledger.Ledger Ledger { get; }

    public void Dispose()
    {
        Ledger.Dispose();
        Db.Dispose();
        _dir.Dispose();
    }
}
