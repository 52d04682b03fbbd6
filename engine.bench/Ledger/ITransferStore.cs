namespace LatticeKV.Bench.Ledger;

/// <summary>
/// A store of account balances that moves an amount between two accounts in one transaction:
/// read both balances for update, write both, commit. Accounts are locked (or read) in
/// ascending order in every engine, so pessimistic runs never deadlock and conflicts are the
/// only reason to retry.
/// </summary>
public interface ITransferStore : IDisposable
{
    string Name { get; }

    /// <summary>Sets every account's balance (before the clock starts).</summary>
    void Seed(int accounts, long balance);

    /// <summary>One attempt; false when the engine reported a conflict (busy, timed out) and nothing was written.</summary>
    bool TryTransfer(int from, int to, long amount);

    /// <summary>The sum of every balance (checked after the run: a transfer neither creates nor loses money).</summary>
    long Total(int accounts);
}

internal static class Balances
{
    public static byte[] Key(int account) => System.Text.Encoding.ASCII.GetBytes(LedgerData.AccountName(account));

    public static byte[] Encode(long v) => BitConverter.GetBytes(v);

    public static long Decode(ReadOnlySpan<byte> v) => BitConverter.ToInt64(v);
}
