using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Db;

public class ConcurrencyTests
{
    [Fact]
    public void Write_SixteenSyncedWritersQueuedBehindOneFsync_ShareTheNextFsync()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs));
        const int writers = 16;
        var firstSyncEntered = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        int logSyncs = 0;
        fs.BeforeSync = path =>
        {
            if (!path.EndsWith(".log", StringComparison.Ordinal)) return;
            if (Interlocked.Increment(ref logSyncs) == 1)
            {
                firstSyncEntered.Set();
                release.Wait();
            }
        };
        var threads = Enumerable.Range(0, writers).Select(t => new Thread(() => db.Put(B($"k{t}"), B("v"), new WriteOptions { Sync = true }))).ToList();
        threads[0].Start();
        firstSyncEntered.Wait();                       // writer 0 leads and is inside its fsync
        foreach (var t in threads.Skip(1)) t.Start();
        SpinWait.SpinUntil(() => db.QueuedWriters == writers, TimeSpan.FromSeconds(30));
        Assert.Equal(writers, db.QueuedWriters);       // the other 15 wait behind the leader
        release.Set();
        threads.ForEach(t => t.Join());
        var stats = db.GetStatistics();
        Assert.Equal(writers, stats["wal.synced.batches"]);
        Assert.Equal(2, stats["wal.syncs"]);           // one for the leader, one for the 15 together
        for (int t = 0; t < writers; t++) Assert.Equal("v", S(db.Get(B($"k{t}"))));
    }

    [Fact]
    public void WritersAndReaders_ManyThreads_ReadersNeverSeeHalfABatch()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 32 * 1024, MaxBytesForLevelBase = 128 * 1024, TargetFileSizeBase = 32 * 1024 });
        const int writers = 6, readers = 4, perWriter = 3000;
        int violations = 0;
        int writersDone = 0;
        var threads = new List<Thread>();
        for (int w = 0; w < writers; w++)
        {
            int id = w;
            threads.Add(new Thread(() =>
            {
                for (int i = 1; i <= perWriter; i++)
                {
                    var batch = new WriteBatch();
                    batch.Put(B($"w{id}/a"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    batch.Put(B($"w{id}/b"), B(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    db.Write(batch, new WriteOptions { Sync = i % 500 == 0 });
                }
                Interlocked.Increment(ref writersDone);
            }));
        }
        for (int r = 0; r < readers; r++)
        {
            threads.Add(new Thread(() =>
            {
                while (Volatile.Read(ref writersDone) < writers)
                {
                    using var snap = db.GetSnapshot();
                    var ro = new ReadOptions { Snapshot = snap };
                    for (int w = 0; w < writers; w++)
                        if (S(db.Get(B($"w{w}/a"), ro)) != S(db.Get(B($"w{w}/b"), ro))) Interlocked.Increment(ref violations);
                    using var it = db.NewIterator();
                    string? pending = null;
                    for (it.SeekToFirst(); it.Valid; it.Next())
                    {
                        string key = S(it.Key.ToArray())!, value = S(it.Value.ToArray())!;
                        if (key.EndsWith("/a", StringComparison.Ordinal)) pending = value;
                        else if (pending != value) Interlocked.Increment(ref violations);
                    }
                }
            }));
        }
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, violations);
        for (int w = 0; w < writers; w++) Assert.Equal(perWriter.ToString(System.Globalization.CultureInfo.InvariantCulture), S(db.Get(B($"w{w}/a"))));
        var stats = db.GetStatistics();
        Assert.Equal(writers * perWriter, stats["write.batches"]);
        Assert.True(stats["write.groups"] <= stats["write.batches"]);
    }
}
