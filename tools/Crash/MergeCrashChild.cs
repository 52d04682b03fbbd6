using System.Buffers.Binary;
using System.Text;

namespace LatticeKV.Tool.Crash;

/// <summary>
/// The process merge crash tests kill. Each writer thread <c>t</c> writes batch after batch of
/// <see cref="MergeOperators.Int64Add"/> operands: its <c>i</c>-th batch adds
/// <see cref="Amount"/>(t, i) to <see cref="Pool"/>, 1 to its <see cref="Counter"/> and moves
/// money between two <see cref="Account"/>s, then prints <c>A t i</c>. After a kill a reopened
/// database must hold, for every thread, a count n at least its last acknowledged i (at most one
/// more), a pool equal to the sum of the first n amounts of every thread, and accounts summing
/// to 0: no batch half-applied, no operand lost or merged twice. A small write buffer and a
/// flushing thread keep operands moving into tables and through compactions.
/// </summary>
public static class MergeCrashChild
{
    public const int Accounts = 16;

    public static byte[] Pool => "pool"u8.ToArray();

    public static byte[] Counter(int thread) => Encoding.ASCII.GetBytes($"count/{thread:D2}");

    public static byte[] Account(int index) => Encoding.ASCII.GetBytes($"acct/{index:D2}");

    /// <summary>What thread <paramref name="thread"/>'s batch <paramref name="batch"/> (from 1) adds to the pool.</summary>
    public static long Amount(int thread, long batch) => (thread * 7919L + batch * 104_729L) % 1000 + 1;

    public static DbOptions Options() => new()
    {
        WriteBufferSize = 32 * 1024,
        MaxBytesForLevelBase = 128 * 1024,
        TargetFileSizeBase = 32 * 1024,
        Level0FileNumCompactionTrigger = 2,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add },
    };

    public static byte[] I64(long v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        return b;
    }

    public static long ReadI64(LatticeDb db, byte[] key, ReadOptions? options = null)
        => db.Get(key, options) is { } v ? BinaryPrimitives.ReadInt64LittleEndian(v) : 0;

    /// <summary>Makes <paramref name="batch"/> thread <paramref name="thread"/>'s batch number <paramref name="i"/>.</summary>
    public static void FillBatch(WriteBatch batch, int thread, long i, Random rnd)
    {
        long move = rnd.Next(1, 100);
        batch.Clear();
        batch.Merge(Pool, I64(Amount(thread, i)));
        batch.Merge(Counter(thread), I64(1));
        batch.Merge(Account(rnd.Next(Accounts)), I64(-move));
        batch.Merge(Account(rnd.Next(Accounts)), I64(move));
    }

    public static int Run(string path, int seed, int threads, TextWriter output)
    {
        var gate = new object();
        using var db = LatticeDb.Open(path, Options());
        output.WriteLine("OPENED");
        output.Flush();
        var workers = new List<Thread>();
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            workers.Add(new Thread(() =>
            {
                var rnd = new Random(seed * 31 + thread);
                long i = ReadI64(db, Counter(thread));
                var batch = new WriteBatch();
                while (true)
                {
                    FillBatch(batch, thread, ++i, rnd);
                    db.Write(batch);
                    lock (gate)
                    {
                        output.WriteLine($"A {thread} {i}");
                        output.Flush();
                    }
                }
            }) { IsBackground = true });
        }
        foreach (var w in workers) w.Start();
        // Flushes and compactions while the writers run, until the parent kills the process.
        for (int round = 0; ; round++)
        {
            if (round % 8 == 7) db.CompactRange();
            else db.Flush();
            // Writers acknowledge between rounds: wait for some progress rather than a time.
            db.WaitForCompactions();
        }
    }
}
