using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LatticeKV.Ledger;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// A ledger replica process for the multi-process ledger sync tests: opens its database with a
/// <see cref="Ledger.Ledger"/>, serves sync on a port (TLS, mutual authentication by sync
/// identity) and obeys standard input, one command a line:
/// <c>APPEND TXID FROM TO AMOUNT</c> (a pending payment; prints <c>A TXID</c>),
/// <c>BULK PREFIX COUNT</c> (payments PREFIX-0.. among <see cref="Accounts"/> in batches; prints <c>BULKED COUNT</c>),
/// <c>WATCH N</c> (prints <c>RECEIVED N</c> once N transaction records from other replicas have arrived),
/// <c>SYNC HOST:PORT@ID</c> (one sync round in the background; prints <c>SYNCED</c> or <c>SYNCFAIL TYPE</c>),
/// <c>STATE</c> (prints <c>S RECORDS CONSISTENT TXDIGEST BALANCES</c>, see <see cref="State"/>),
/// <c>EXIT</c> (prints <c>BYE</c>). Prints <c>LISTEN PORT</c> once serving.
/// </summary>
public static class LedgerSyncChild
{
    /// <summary>The chain every transaction of these tests is on.</summary>
    public const string Chain = "bitcoin";

    /// <summary>The accounts BULK pays between.</summary>
    public static readonly string[] Accounts = ["alice", "bob", "carol", "dave"];

    /// <summary>The pending payment the tests and this process both mean by (txid, from, to, amount).</summary>
    public static LedgerTransaction Payment(string txid, string from, string to, long amount) => new()
    {
        Chain = Chain,
        TransactionId = txid,
        RawTransaction = Encoding.UTF8.GetBytes("raw:" + txid),
        Postings = [new LedgerPosting(from, "BTC", -amount), new LedgerPosting(to, "BTC", amount)],
    };

    /// <summary>The <paramref name="index"/>th payment of BULK <paramref name="prefix"/>.</summary>
    public static LedgerTransaction BulkPayment(string prefix, int index)
        => Payment($"{prefix}-{index.ToString(CultureInfo.InvariantCulture)}", Accounts[index % Accounts.Length], Accounts[(index + 1) % Accounts.Length], 1 + index % 13);

    public static int Run(string path, string identityFile, int port, IReadOnlyList<string> trusted, TextReader input, TextWriter output)
    {
        // Sync rounds and watches print from their own threads.
        var lines = TextWriter.Synchronized(output);
        void Print(string line)
        {
            lines.WriteLine(line);
            lines.Flush();
        }
        using var identity = SyncIdentity.Load(identityFile);
        using var db = LatticeDb.Open(path, new DbOptions { SyncIdentity = identity });
        using var ledger = Ledger.Ledger.Open(db);
        var serverOptions = new SyncServerOptions { Port = port };
        foreach (var t in trusted) serverOptions.TrustedPeerIds.Add(t);
        using var stop = new CancellationTokenSource();
        var background = new List<Task>();
        var server = db.StartSyncServer(serverOptions);
        try
        {
            Print("LISTEN " + server.Port.ToString(CultureInfo.InvariantCulture));
            while (input.ReadLine() is { } line)
            {
                var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length == 0) continue;
                switch (words[0])
                {
                    case "APPEND" when words.Length == 5:
                        ledger.Append(Payment(words[1], words[2], words[3], long.Parse(words[4], CultureInfo.InvariantCulture)));
                        Print("A " + words[1]);
                        break;
                    case "BULK" when words.Length == 3:
                        int count = int.Parse(words[2], CultureInfo.InvariantCulture);
                        foreach (var chunk in Enumerable.Range(0, count).Chunk(250)) ledger.AppendBatch(chunk.Select(i => BulkPayment(words[1], i)));
                        Print("BULKED " + count.ToString(CultureInfo.InvariantCulture));
                        break;
                    case "WATCH" when words.Length == 2:
                        background.Add(WatchAsync(db, int.Parse(words[1], CultureInfo.InvariantCulture), Print, stop.Token));
                        break;
                    case "SYNC" when words.Length == 2:
                        int at = words[1].LastIndexOf('@');
                        var (host, p) = SyncPeer.ParseAddress(words[1][..at]);
                        background.Add(SyncAsync(db, new SyncPeer(host, p, words[1][(at + 1)..]), Print, stop.Token));
                        break;
                    case "STATE":
                        Print(State(db, ledger));
                        break;
                    case "EXIT":
                        return 0;
                    default:
                        Print("ERROR unknown command: " + line);
                        break;
                }
            }
            return 0;
        }
        finally
        {
            stop.Cancel();
            try { Task.WaitAll([.. background]); }
            catch (AggregateException) { } // cancelled rounds and watches
            server.Dispose();
            Print("BYE");
        }
    }

    /// <summary>
    /// <c>S RECORDS CONSISTENT TXDIGEST BALANCES</c>, with sync's arrivals folded first: the
    /// number of stored transactions, whether <see cref="Ledger.Ledger.VerifyBalances"/> finds
    /// nothing wrong, a SHA-256 of every stored transaction id in key order, and
    /// <c>ACCOUNT=BALANCE</c> for every account of <see cref="Accounts"/>, comma-separated.
    /// </summary>
    public static string State(LatticeDb db, Ledger.Ledger ledger)
    {
        ledger.CatchUpWithSync();
        var verification = ledger.VerifyBalances();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long records = 0;
        using (var it = db.NewIterator(db.GetColumnFamily("ledger.tx")))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                records++;
                hash.AppendData(it.Key);
            }
        }
        string balances = string.Join(",", Accounts.Select(a => a + "=" + ledger.GetBalance(Chain, a, "BTC").ToString(CultureInfo.InvariantCulture)));
        return $"S {records.ToString(CultureInfo.InvariantCulture)} {verification.IsConsistent} {Convert.ToHexStringLower(hash.GetHashAndReset())} {balances}";
    }

    private static async Task SyncAsync(LatticeDb db, SyncPeer peer, Action<string> print, CancellationToken ct)
    {
        try
        {
            await db.SyncWith(peer, ct).ConfigureAwait(false);
            print("SYNCED");
        }
        catch (Exception ex)
        {
            // Any failure of the round is reported for the test to judge, whatever its type.
            print("SYNCFAIL " + ex.GetType().Name);
        }
    }

    private static async Task WatchAsync(LatticeDb db, int count, Action<string> print, CancellationToken ct)
    {
        int seen = 0;
        try
        {
            await foreach (var change in db.WatchChangesAsync(new ChangeCursor(0), ct).ConfigureAwait(false))
            {
                if (change.Origin == db.ReplicaId || change.ColumnFamily != "ledger.tx") continue;
                if (++seen == count)
                {
                    print("RECEIVED " + count.ToString(CultureInfo.InvariantCulture));
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }
}
