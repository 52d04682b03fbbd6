using System.Globalization;
using System.Text;

namespace LatticeKV.Bench.Ledger;

/// <summary>One generated ledger transaction: its id, the account it moves, its place in the chain, and its stored JSON.</summary>
public sealed record LedgerTx(string TxId, string Account, long Height, int Position, long Amount, byte[] Json)
{
    /// <summary>Chain order within an account: height, then position in the block.</summary>
    public long Order => Height * 1000 + Position;
}

/// <summary>
/// Deterministic ledger data: <c>count</c> transactions over <c>accounts</c> accounts, 100 per block
/// in chain order, each for a uniformly chosen account, with a random 32-hex-digit id and a short note.
/// The same seed gives every engine the same transactions in the same order.
/// </summary>
public static class LedgerData
{
    private static readonly string[] s_words =
        ["payment", "refund", "salary", "rent", "coffee", "invoice", "transfer", "savings", "fee", "exchange", "deposit", "withdrawal", "gift", "loan", "interest"];

    public static string AccountName(int i) => "acct" + i.ToString("D5", CultureInfo.InvariantCulture);

    public static IEnumerable<LedgerTx> Generate(long count, int accounts, int seed = 19)
    {
        var rng = new Random(seed);
        var id = new byte[16];
        for (long i = 0; i < count; i++)
        {
            rng.NextBytes(id);
            string txId = Convert.ToHexStringLower(id);
            string account = AccountName(rng.Next(accounts));
            long height = 800_000 + i / 100;
            int position = (int)(i % 100);
            long amount = rng.NextInt64(-1_000_000, 1_000_000);
            string note = s_words[rng.Next(s_words.Length)] + " " + s_words[rng.Next(s_words.Length)];
            string json = string.Create(CultureInfo.InvariantCulture,
                $"{{\"txid\":\"{txId}\",\"account\":\"{account}\",\"order\":{height * 1000 + position},\"height\":{height},\"pos\":{position},\"amount\":{amount},\"note\":\"{note}\"}}");
            yield return new LedgerTx(txId, account, height, position, amount, Encoding.UTF8.GetBytes(json));
        }
    }
}
