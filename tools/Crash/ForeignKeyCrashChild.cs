using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process foreign key crash tests kill. A ledger with two cascading foreign keys
/// (transactions name an account by <c>$.account</c>; notes name a transaction by their first
/// <see cref="TxnKeyLength"/> key bytes). Each thread <c>t</c> owns its keys (<c>aT-KK</c>,
/// <c>tT-KK</c>, <c>tT-KK/nJ</c>), so its operations apply in the order it prints them: before
/// each it prints <c>I t OP ARGS</c>, after it <c>A t ok</c> or <c>A t refused</c> (a
/// <see cref="ReferentialIntegrityException"/>). OPs: <c>PA a</c> put account, <c>PT t a</c> put
/// transaction, <c>PN n t</c> put note, <c>DA a</c> delete account (cascades), <c>DT t</c> delete
/// transaction (cascades), <c>TX a t</c> an optimistic transaction putting an account and a
/// transaction of it. A small write buffer keeps data moving into tables.
/// </summary>
public static class ForeignKeyCrashChild
{
    public const int TxnKeyLength = 5;
    public const int AccountsPerThread = 6;
    public const int TxnsPerThread = 20;

    public static DbOptions Options() => new() { WriteBufferSize = 64 * 1024, Level0FileNumCompactionTrigger = 2 };

    public static string Account(int thread, int k) => string.Create(CultureInfo.InvariantCulture, $"a{thread}-{k:D2}");

    public static string Txn(int thread, int k) => string.Create(CultureInfo.InvariantCulture, $"t{thread}-{k:D2}");

    public static byte[] TxnValue(string account) => Encoding.ASCII.GetBytes($"{{\"account\":\"{account}\"}}");

    /// <summary>Opens the database, creating the families and foreign keys on the first run.</summary>
    public static (LatticeDb Db, ColumnFamilyHandle Accounts, ColumnFamilyHandle Txns, ColumnFamilyHandle Notes) Open(string path)
    {
        var db = LatticeDb.Open(path, Options());
        var names = db.ColumnFamilies.Select(c => c.Name).ToHashSet();
        var accounts = names.Contains("accounts") ? db.GetColumnFamily("accounts") : db.CreateColumnFamily("accounts");
        var txns = names.Contains("transactions") ? db.GetColumnFamily("transactions") : db.CreateColumnFamily("transactions");
        var notes = names.Contains("notes") ? db.GetColumnFamily("notes") : db.CreateColumnFamily("notes");
        var keys = db.ListForeignKeys().Select(k => k.Name).ToHashSet();
        if (!keys.Contains("transaction-account"))
            db.AddForeignKey(new ForeignKeyDefinition { Name = "transaction-account", ChildFamily = txns, ParentKey = IndexExtractors.JsonField("$.account"), ParentFamily = accounts, OnDelete = ForeignKeyAction.Cascade });
        if (!keys.Contains("note-transaction"))
            db.AddForeignKey(new ForeignKeyDefinition { Name = "note-transaction", ChildFamily = notes, ParentKey = IndexExtractors.KeyBytes(0, TxnKeyLength), ParentFamily = txns, OnDelete = ForeignKeyAction.Cascade });
        return (db, accounts, txns, notes);
    }

    public static int Run(string path, int seed, int threads, TextWriter output)
    {
        var gate = new object();
        var (db, accounts, txns, notes) = Open(path);
        output.WriteLine("OPENED");
        output.Flush();
        void Print(string line)
        {
            lock (gate)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        var workers = new List<Thread>();
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            workers.Add(new Thread(() =>
            {
                var rnd = new Random(seed * 31 + thread);
                while (true)
                {
                    string a = Account(thread, rnd.Next(AccountsPerThread));
                    string x = Txn(thread, rnd.Next(TxnsPerThread));
                    string n = x + "/n" + rnd.Next(2).ToString(CultureInfo.InvariantCulture);
                    int kind = rnd.Next(10);
                    string op = kind switch
                    {
                        0 or 1 => $"PA {a}",
                        2 or 3 or 4 => $"PT {x} {a}",
                        5 or 6 => $"PN {n} {x}",
                        7 => $"DA {a}",
                        8 => $"DT {x}",
                        _ => $"TX {a} {x}",
                    };
                    Print($"I {thread} {op}");
                    bool ok = true;
                    try
                    {
                        switch (kind)
                        {
                            case 0 or 1: db.Put(accounts, Encoding.ASCII.GetBytes(a), "{}"u8); break;
                            case 2 or 3 or 4: db.Put(txns, Encoding.ASCII.GetBytes(x), TxnValue(a)); break;
                            case 5 or 6: db.Put(notes, Encoding.ASCII.GetBytes(n), "note"u8); break;
                            case 7: db.Delete(accounts, Encoding.ASCII.GetBytes(a)); break;
                            case 8: db.Delete(txns, Encoding.ASCII.GetBytes(x)); break;
                            default:
                                using (var txn = db.BeginTransaction())
                                {
                                    txn.Put(accounts, Encoding.ASCII.GetBytes(a), "{}"u8);
                                    txn.Put(txns, Encoding.ASCII.GetBytes(x), TxnValue(a));
                                    txn.Commit();
                                }
                                break;
                        }
                    }
                    catch (ReferentialIntegrityException)
                    {
                        ok = false;
                    }
                    Print($"A {thread} {(ok ? "ok" : "refused")}");
                }
            }) { IsBackground = true });
        }
        foreach (var w in workers) w.Start();
        // Flushes while the writers run, until the parent kills the process.
        for (int round = 0; ; round++)
        {
            if (round % 8 == 7) db.CompactRange();
            else db.Flush();
            db.WaitForCompactions();
        }
    }
}
