using LatticeKV.Ledger;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process ledger crash tests kill. Appender threads append transactions <c>{run}-{thread}-{i}</c>
/// (content from <see cref="Content"/>, a pure function of the id), half pending and half confirmed
/// at the current tip, and print <c>A id</c> once <see cref="LatticeKV.Ledger.Ledger.Append"/> returned; a chain thread
/// advances the tip and now and then reorganises the last blocks (moving some transactions into the
/// new blocks), printing <c>T height</c> and <c>R fork</c>. After a kill a reopened ledger must hold
/// every acknowledged transaction, balances equal to the fold of its non-orphaned records, and a
/// Merkle root equal to the one recomputed from its leaves. A small write buffer keeps flushes and
/// compactions running under the workload.
/// </summary>
public static class LedgerCrashChild
{
    public const string Chain = "crashnet";
    public const int Accounts = 6;

    public static DbOptions Options() => new()
    {
        WriteBufferSize = 64 * 1024,
        MaxBytesForLevelBase = 256 * 1024,
        TargetFileSizeBase = 64 * 1024,
        Level0FileNumCompactionTrigger = 2,
    };

    /// <summary>The one content of transaction <paramref name="id"/> (pending): a payment between two of the shared accounts.</summary>
    public static LedgerTransaction Content(string id)
    {
        ulong h = Fnv(id);
        long amount = (long)(h % 1000) + 1;
        string from = $"acct{(h >> 16) % Accounts}", to = $"acct{(h >> 24) % Accounts}";
        return new LedgerTransaction
        {
            Chain = Chain,
            TransactionId = id,
            RawTransaction = System.Text.Encoding.UTF8.GetBytes(id),
            Postings = [new LedgerPosting(from, "SAT", -amount), new LedgerPosting(to, "SAT", amount)],
        };
    }

    public static int Run(string path, int run, int threads, TextWriter output)
    {
        var gate = new object();
        void Say(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        using var db = LatticeDb.Open(path, Options());
        using var ledger = LatticeKV.Ledger.Ledger.Open(db, new LedgerOptions { FinalityDepth = 4 });
        Say("OPENED");
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            new Thread(() =>
            {
                var rnd = new Random(run * 977 + thread);
                for (long i = 0; ; i++)
                {
                    var tx = Content($"{run}-{thread}-{i}");
                    if (rnd.Next(2) == 0 && ledger.GetChainTip(Chain) is { } tip)
                        tx = tx with { BlockHeight = tip, BlockHash = $"h{tip}", Position = (int)(i % 1000), Status = LedgerStatus.Confirmed(1) };
                    if (rnd.Next(8) == 0) ledger.AppendBatch([tx, Content($"{run}-{thread}-{i}b")]);
                    else ledger.Append(tx);
                    Say($"A {tx.TransactionId}");
                }
            }) { IsBackground = true }.Start();
        }
        var chainRnd = new Random(run);
        for (long round = 0; ; round++)
        {
            long tip = ledger.GetChainTip(Chain) ?? 0;
            if (round % 5 == 4 && tip > 2)
            {
                long fork = tip - chainRnd.Next(1, 3);
                var moved = ledger.GetTransactions(Chain, new LedgerQuery { NewestFirst = true, Limit = 3 }).Transactions;
                ledger.Reorganize(Chain, fork, [new LedgerBlock(fork, $"r{round}-{fork}", [.. moved.Select((t, p) => t with { Position = p })]), new LedgerBlock(fork + 1, $"r{round}-{fork + 1}", [])]);
                Say($"R {fork}");
            }
            else
            {
                ledger.SetChainTip(Chain, tip + 1);
                Say($"T {tip + 1}");
            }
            if (round % 8 == 7) db.Flush();
        }
    }

    private static ulong Fnv(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return h;
    }
}
