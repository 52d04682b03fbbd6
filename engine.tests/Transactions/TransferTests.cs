using System.Buffers.Binary;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Transactions;

/// <summary>
/// Bank transfers from 16 threads between 1,000 accounts: each transfer moves a random amount
/// and writes its own record in the same transaction, retrying on conflict. Afterwards the total
/// is unchanged and every account's balance is exactly what the records say (each transfer
/// applied once, wholly); audit transactions scanning every account meanwhile see the total too.
/// </summary>
public sealed class TransferTests(ITestOutputHelper output)
{
    private const int Accounts = 1000;
    private const int Threads = 16;
    private const long Initial = 1_000;

    private static byte[] AccountKey(int i) => B("acct/" + i.ToString("D4"));

    private static long Int64(byte[]? value) => BinaryPrimitives.ReadInt64LittleEndian(value);

    private static byte[] Bytes(long value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, value);
        return b;
    }

    public enum Mode
    {
        Optimistic,
        Pessimistic,
        /// <summary>Odd threads pessimistic, even ones optimistic: the two kinds must not lose each other's updates.</summary>
        Mixed,
    }

    [Theory]
    [InlineData(Mode.Optimistic)]
    [InlineData(Mode.Pessimistic)]
    [InlineData(Mode.Mixed)]
    public void ConcurrentTransfers_TotalKept_EachAppliedExactlyOnce(Mode mode)
    {
        int seed = TestSeed.Get(19_000 + (int)mode);
        int perThread = 150 * TestSeed.Scale;
        using var dir = new TempDir("txn-transfers");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 256 * 1024 }); // flushes happen during the run
        using (var init = db.BeginTransaction())
        {
            for (int i = 0; i < Accounts; i++) init.Put(AccountKey(i), Bytes(Initial));
            init.Commit();
        }
        long retries = 0, audits = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                var options = new TransactionOptions { Pessimistic = mode == Mode.Pessimistic || (mode == Mode.Mixed && t % 2 == 1), LockTimeout = TimeSpan.FromSeconds(10) };
                Transfers(db, options, seed, t, perThread, ref retries, ref audits, failures);
            }
            catch (Exception ex)
            {
                failures.Enqueue($"thread {t}: {ex}");
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        output.WriteLine($"seed={seed} mode={mode}: {Threads * perThread} transfers, {retries} retries, {audits} audits");
        Assert.Empty(failures);
        Verify(db, seed, Threads * perThread);
    }

    /// <summary>One thread's transfers, each retried until it commits.</summary>
    private static void Transfers(LatticeDb db, TransactionOptions options, int seed, int t, int perThread, ref long retries, ref long audits,
        System.Collections.Concurrent.ConcurrentQueue<string> failures)
    {
        var rnd = new Random(seed * 31 + t);
        for (int n = 0; n < perThread; n++)
        {
            int from = rnd.Next(Accounts), to = (from + 1 + rnd.Next(Accounts - 1)) % Accounts;
            long amount = 1 + rnd.Next(100);
            byte[] record = new byte[16];
            BinaryPrimitives.WriteInt32LittleEndian(record, from);
            BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(4), to);
            BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), amount);
            while (true)
            {
                using var txn = db.BeginTransaction(options);
                try
                {
                    long a = Int64(txn.GetForUpdate(AccountKey(from)));
                    long b = Int64(txn.GetForUpdate(AccountKey(to)));
                    txn.Put(AccountKey(from), Bytes(a - amount));
                    txn.Put(AccountKey(to), Bytes(b + amount));
                    txn.Put(B($"xfer/{t:D2}/{n:D6}"), record);
                    txn.Commit();
                    break;
                }
                catch (TransactionConflictException)
                {
                    Interlocked.Increment(ref retries);
                }
            }
            if (n % 50 == 25 && t % 4 == 0)
            {
                long total = Audit(db, options);
                Interlocked.Increment(ref audits);
                if (total != Accounts * Initial) failures.Enqueue($"thread {t} audit saw a total of {total}");
            }
        }
    }

    /// <summary>The records account for every balance, and there is one record per transfer.</summary>
    private static void Verify(LatticeDb db, int seed, int transfers)
    {
        var expected = new long[Accounts];
        Array.Fill(expected, Initial);
        int records = 0;
        using (var it = db.NewIterator(new ReadOptions { IterateLowerBound = B("xfer/"), IterateUpperBound = B("xfer0") }))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var v = it.Value;
                int from = BinaryPrimitives.ReadInt32LittleEndian(v), to = BinaryPrimitives.ReadInt32LittleEndian(v[4..]);
                long amount = BinaryPrimitives.ReadInt64LittleEndian(v[8..]);
                expected[from] -= amount;
                expected[to] += amount;
                records++;
            }
        }
        Assert.Equal(transfers, records);
        long sum = 0;
        for (int i = 0; i < Accounts; i++)
        {
            long balance = Int64(db.Get(AccountKey(i)));
            Assert.True(expected[i] == balance, $"seed={seed}: account {i} holds {balance}, its transfers say {expected[i]}");
            sum += balance;
        }
        Assert.Equal(Accounts * Initial, sum);
    }

    /// <summary>The total of every account, read by one transaction's iterator.</summary>
    private static long Audit(LatticeDb db, TransactionOptions options)
    {
        using var txn = db.BeginTransaction(options);
        using var it = txn.NewIterator(new ReadOptions { IterateLowerBound = B("acct/"), IterateUpperBound = B("acct0") });
        long total = 0;
        for (it.SeekToFirst(); it.Valid; it.Next()) total += BinaryPrimitives.ReadInt64LittleEndian(it.Value);
        txn.Commit();
        return total;
    }
}
