using LatticeKV.Ledger;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Ledgers.LedgerTestData;

namespace LatticeKV.Tests.Ledgers;

/// <summary>Sixteen threads append payments between a few shared accounts, some of them the same transactions: every balance is exact.</summary>
public class LedgerConcurrencyTests(ITestOutputHelper output)
{
    private const int Threads = 16;
    private const int Accounts = 5;

    [Fact]
    public void Append_SixteenThreadsSharedAccounts_BalancesExact()
    {
        using var dir = new TempDir("ledger-conc");
        int seed = TestSeed.Get(2323);
        int perThread = 150 * TestSeed.Scale;
        output.WriteLine($"seed={seed} threads={Threads} appends={perThread}");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 64 * 1024 });
        using var ledger = Open(db);
        var expected = new long[Accounts];
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var rnd = new Random(seed + t);
            var mine = new long[Accounts];
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    // Every fourth thread re-appends the payments of thread t - 1 as well: they count once.
                    int owner = t % 4 == 3 && rnd.Next(2) == 0 ? t - 1 : t;
                    int n = rnd.Next(perThread);
                    var tx = DeterministicPayment(seed, owner, n);
                    if (rnd.Next(3) == 0) ledger.AppendBatch([tx, DeterministicPayment(seed, t, perThread + i)]);
                    else ledger.Append(tx);
                }
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.Empty(failures);

        // Expected: the fold of the distinct stored transactions.
        foreach (var tx in ledger.GetTransactions(Chain, new LedgerQuery { Limit = 10_000 }).Transactions)
            foreach (var p in tx.Postings) expected[int.Parse(p.Account.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture)] += (long)p.Amount;
        for (int a = 0; a < Accounts; a++) Assert.Equal(expected[a], (long)ledger.GetBalance(Chain, $"a{a}", "BTC"));
        Assert.Equal(0, expected.Sum());
        Assert.True(ledger.VerifyBalances().IsConsistent);
    }

    private static LedgerTransaction DeterministicPayment(int seed, int thread, int n)
    {
        var rnd = new Random(HashCode.Combine(seed, thread, n));
        return Payment($"t{thread}-{n}", $"a{rnd.Next(Accounts)}", $"a{rnd.Next(Accounts)}", rnd.Next(1, 1000));
    }
}
