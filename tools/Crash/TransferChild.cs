using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process the transaction crash test kills: threads transfer random amounts between
/// accounts, each transfer one transaction that also writes its own record (half the threads
/// optimistic, retrying on conflict, half pessimistic), and print <c>A id</c> once its commit
/// returned. A small write buffer keeps flushes and compactions running under the commits.
/// After a kill, the records must account for every balance and every acknowledged transfer
/// must have its record: a commit is all or nothing (see <see cref="Verify"/>).
/// </summary>
public static class TransferChild
{
    public const int Accounts = 100;
    public const long Initial = 1_000;

    public static byte[] AccountKey(int i) => Encoding.ASCII.GetBytes("acct/" + i.ToString("D4", CultureInfo.InvariantCulture));

    public static byte[] RecordKey(long id) => Encoding.ASCII.GetBytes("xfer/" + id.ToString("D16", CultureInfo.InvariantCulture));

    public static DbOptions Options() => new()
    {
        WriteBufferSize = 64 * 1024,
        MaxBytesForLevelBase = 256 * 1024,
        TargetFileSizeBase = 64 * 1024,
        Level0FileNumCompactionTrigger = 2,
    };

    public static int Run(string path, int seed, long firstId, int threads, TextWriter output)
    {
        using var db = LatticeDb.Open(path, Options());
        if (db.Get(AccountKey(0)) is null)
        {
            using var init = db.BeginTransaction();
            for (int i = 0; i < Accounts; i++) init.Put(AccountKey(i), Int64(Initial));
            init.Commit();
        }
        var gate = new object();
        long nextId = firstId;
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var rnd = new Random(seed * 7919 + t);
            var options = new TransactionOptions { Pessimistic = t % 2 == 1, LockTimeout = TimeSpan.FromSeconds(5) };
            while (true)
            {
                long id = Interlocked.Increment(ref nextId) - 1;
                int from = rnd.Next(Accounts), to = (from + 1 + rnd.Next(Accounts - 1)) % Accounts;
                long amount = 1 + rnd.Next(100);
                while (!TryTransfer(db, options, id, from, to, amount)) { }
                lock (gate)
                {
                    output.WriteLine("A " + id.ToString(CultureInfo.InvariantCulture));
                    output.Flush();
                }
            }
        }) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join()); // until killed
        return 0;
    }

    private static bool TryTransfer(LatticeDb db, TransactionOptions options, long id, int from, int to, long amount)
    {
        using var txn = db.BeginTransaction(options);
        try
        {
            long a = BinaryPrimitives.ReadInt64LittleEndian(txn.GetForUpdate(AccountKey(from)));
            long b = BinaryPrimitives.ReadInt64LittleEndian(txn.GetForUpdate(AccountKey(to)));
            txn.Put(AccountKey(from), Int64(a - amount));
            txn.Put(AccountKey(to), Int64(b + amount));
            var record = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(record, from);
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), to);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), amount);
            txn.Put(RecordKey(id), record);
            txn.Commit();
            return true;
        }
        catch (TransactionConflictException)
        {
            return false;
        }
    }

    /// <summary>
    /// What is wrong with the database after a kill: an account whose balance its transfer
    /// records do not explain (a transfer half applied, or applied without its record), or an
    /// acknowledged transfer without its record. Empty when all is well. Returns the record count.
    /// </summary>
    public static List<string> Verify(LatticeDb db, IReadOnlyCollection<long> acknowledged, out int records)
    {
        var problems = new List<string>();
        var expected = new long[Accounts];
        Array.Fill(expected, Initial);
        var found = new HashSet<long>();
        using (var it = db.NewIterator(new ReadOptions { IterateLowerBound = Encoding.ASCII.GetBytes("xfer/"), IterateUpperBound = Encoding.ASCII.GetBytes("xfer0") }))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var v = it.Value;
                expected[BinaryPrimitives.ReadInt32LittleEndian(v)] -= BinaryPrimitives.ReadInt64LittleEndian(v[8..]);
                expected[BinaryPrimitives.ReadInt32LittleEndian(v[4..])] += BinaryPrimitives.ReadInt64LittleEndian(v[8..]);
                found.Add(long.Parse(Encoding.ASCII.GetString(it.Key[5..]), CultureInfo.InvariantCulture));
            }
        }
        records = found.Count;
        for (int i = 0; i < Accounts; i++)
        {
            long balance = db.Get(AccountKey(i)) is { } v ? BinaryPrimitives.ReadInt64LittleEndian(v) : long.MinValue;
            if (balance != expected[i]) problems.Add($"account {i} holds {balance}; its transfer records say {expected[i]}");
        }
        foreach (long id in acknowledged)
            if (!found.Contains(id)) problems.Add($"transfer {id} was acknowledged but has no record");
        return problems;
    }

    private static byte[] Int64(long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }
}
