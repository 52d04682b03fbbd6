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
        RunSixteenWritersBehindOneFsync(db, fs);   // the other 15 queue behind writer 0's fsync
        var stats = db.GetStatistics();
        Assert.Equal(writers, stats["wal.synced.batches"]);
        Assert.Equal(2, stats["wal.syncs"]);           // one for the leader, one for the 15 together
        for (int t = 0; t < writers; t++) Assert.Equal("v", S(db.Get(B($"k{t}"))));
    }

    /// <summary>
    /// Writer 0 leads alone while 15 queue behind its fsync; its next write arrives after the 15
    /// have a leader. That leader waits for it (the last group saw 16 writers), so the 15 and
    /// writer 0's second write share one fsync instead of needing two.
    /// </summary>
    [Fact]
    public void Write_SyncedWriterReturningAfterItsGroup_IsGatheredIntoTheNextFsync()
    {
        var fs = new MemFileSystem();
        using var db = OpenWithGatherWait(fs, TimeSpan.FromSeconds(30));
        var (firstSyncEntered, release) = BlockFirstLogSync(fs);
        var synced = new WriteOptions { Sync = true };
        using var threads = new TestThreads();
        threads.Stopping.Register(release.Set);
        threads.Start("writer 0", () =>
        {
            db.Put(B("k0"), B("v"), synced);
            db.Put(B("k0-again"), B("v"), synced);
        });
        threads.Wait(firstSyncEntered, "writer 0 never reached its fsync");
        for (int t = 1; t < 16; t++)
        {
            int writer = t;
            threads.Start($"writer {writer}", () => db.Put(B($"k{writer}"), B("v"), synced));
        }
        SpinWait.SpinUntil(() => db.QueuedWriters == 16, TimeSpan.FromSeconds(30));
        Assert.Equal(16, db.QueuedWriters);
        release.Set();
        threads.JoinAndRethrow();

        var stats = db.GetStatistics();
        Assert.Equal(17, stats["wal.synced.batches"]);
        Assert.Equal(2, stats["wal.syncs"]);
        Assert.Equal(0, stats["wal.sync.gather.timeouts"]);
        Assert.Equal("v", S(db.Get(B("k0-again"))));
    }

    /// <summary>
    /// Until an fsync has been timed a synced follower has no yield bound and blocks at once; the
    /// leader's fsync here is held until all 16 are queued, and each of the 15 must be woken done.
    /// </summary>
    [Fact]
    public void Write_SyncedFollowersBeforeAnyFsyncIsTimed_BlockAndAreWokenDone()
    {
        var fs = new MemFileSystem();
        using var db = LatticeDb.Open(DbPath, MemOptions(fs));
        RunSixteenWritersBehindOneFsync(db, fs);
        var stats = db.GetStatistics();
        Assert.Equal(15, stats["wal.sync.followers"]);
        Assert.Equal(15, stats["wal.sync.followers.blocked"]);
        for (int t = 0; t < 16; t++) Assert.Equal("v", S(db.Get(B($"k{t}"))));
    }

    /// <summary>
    /// Synced followers on a real disk yield while the leader's fsync runs, then see its signal
    /// (or block past their bound). Each thread alternates synced and unsynced writes, so the
    /// per-thread wait state is reused across both kinds: a wake left over from one write must
    /// never release the next (that would make a second leader, or return before the write is
    /// applied). Each write is read back the moment it returns.
    /// </summary>
    [Fact]
    public void Write_SixteenThreadsMixingSyncedAndUnsyncedWrites_AllLandAndFollowersAreCounted()
    {
        using var dir = new TempDir("synced-followers");
        using var db = LatticeDb.Open(dir.Path, new DbOptions());
        const int threads = 16, perThread = 150;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                for (int i = 0; i < perThread; i++)
                {
                    db.Put(B($"t{t}-{i}"), B($"v{i}"), new WriteOptions { Sync = i % 3 != 2 });
                    if (S(db.Get(B($"t{t}-{i}"))) != $"v{i}")
                        throw new InvalidOperationException($"t{t}-{i} is not readable right after its write returned");
                }
            }
            catch (Exception ex) { failures.Enqueue(ex); }
        })).ToList();
        workers.ForEach(w =>
        {
            w.IsBackground = true; // a deadlocked writer must not keep the test host alive
            w.Start();
        });
        // A bound, not a wait for progress: two leaders at once can deadlock the queue.
        Assert.All(workers, w => Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a writer never returned"));
        Assert.Empty(failures);
        for (int t = 0; t < threads; t++)
            for (int i = 0; i < perThread; i++) Assert.Equal($"v{i}", S(db.Get(B($"t{t}-{i}"))));
        var stats = db.GetStatistics();
        const int synced = threads * 100; // i % 3 != 2
        Assert.Equal(threads * perThread, stats["write.batches"]);
        // Unsynced batches that join a synced group are made durable with it, and counted.
        Assert.InRange(stats["wal.synced.batches"], synced, threads * perThread);
        // Only synced writes count as followers, once each; every other synced write led a group
        // and made its own fsync.
        Assert.InRange(stats["wal.sync.followers"], 1, synced);
        Assert.True(stats["wal.sync.followers"] + stats["wal.syncs"] >= synced,
            $"{stats["wal.sync.followers"]} synced followers and {stats["wal.syncs"]} fsyncs for {synced} synced writes");
    }

    [Fact]
    public void SyncGroupEstimator_FollowerYieldBound_IsFourFsyncsCappedAtTwoMilliseconds()
    {
        var estimator = new LatticeKV.Db.SyncGroupEstimator(null);
        Assert.Equal(0, estimator.FollowerSpinTicks);  // nothing timed yet: block at once
        long microsecond = System.Diagnostics.Stopwatch.Frequency / 1_000_000;
        estimator.RecordFsync(100 * microsecond);
        Assert.Equal(400 * microsecond, estimator.FollowerSpinTicks);
        for (int i = 0; i < 100; i++) estimator.RecordFsync(5_000 * microsecond);  // a slow disk
        Assert.Equal(System.Diagnostics.Stopwatch.Frequency / 500, estimator.FollowerSpinTicks);
    }

    [Fact]
    public void Write_LoneSyncedWriter_NeverWaitsForOthers()
    {
        using var db = OpenWithGatherWait(new MemFileSystem(), TimeSpan.FromSeconds(30));
        for (int i = 0; i < 200; i++) db.Put(B($"k{i}"), B("v"), new WriteOptions { Sync = true });
        var stats = db.GetStatistics();
        Assert.Equal(200, stats["wal.syncs"]);
        Assert.Equal(0, stats["wal.sync.gather.waits"]);
    }

    /// <summary>
    /// 16 writers, then only one: the leader after the burst waits for the 16th in vain (one
    /// timeout), the lone writer at most once more, and never again after that.
    /// </summary>
    [Fact]
    public void Write_SyncedWritersThatStopped_AreWaitedForAtMostOnceMore()
    {
        var fs = new MemFileSystem();
        using var db = OpenWithGatherWait(fs, TimeSpan.FromMilliseconds(100));
        RunSixteenWritersBehindOneFsync(db, fs);
        var synced = new WriteOptions { Sync = true };
        Assert.Equal(1, db.GetStatistics()["wal.sync.gather.timeouts"]);

        db.Put(B("lone-1"), B("v"), synced);
        long waitsAfterFirst = db.GetStatistics()["wal.sync.gather.waits"];
        for (int i = 0; i < 5; i++) db.Put(B($"lone-{i + 2}"), B("v"), synced);

        var stats = db.GetStatistics();
        Assert.Equal(waitsAfterFirst, stats["wal.sync.gather.waits"]);
        Assert.True(stats["wal.sync.gather.timeouts"] <= 2, $"timeouts: {stats["wal.sync.gather.timeouts"]}");
    }

    [Fact]
    public void Flush_WhileALeaderWaitsForSyncedWriters_EndsTheWait()
    {
        var fs = new MemFileSystem();
        using var db = OpenWithGatherWait(fs, TimeSpan.FromSeconds(30));
        RunSixteenWritersBehindOneFsync(db, fs, beforeJoin: () =>
        {
            SpinWait.SpinUntil(() => db.QueuedWriters <= 15, TimeSpan.FromSeconds(30));  // the 15 have a leader
            db.Flush();
        });
        var stats = db.GetStatistics();
        Assert.Equal(0, stats["wal.sync.gather.timeouts"]);
        Assert.Equal(2, stats["wal.syncs"]);
        for (int t = 0; t < 16; t++) Assert.Equal("v", S(db.Get(B($"k{t}"))));
    }

    /// <summary>A database whose synced-group leaders wait exactly <paramref name="wait"/> for writers, so timing cannot decide a test.</summary>
    private static LatticeDb OpenWithGatherWait(MemFileSystem fs, TimeSpan wait)
    {
        var options = MemOptions(fs);
        options.TestHooks = new LatticeKV.Db.TestHooks { SyncedWritersWait = wait };
        return LatticeDb.Open(DbPath, options);
    }

    /// <summary>Writer 0 leads alone and blocks in its fsync until 15 more are queued; each writes once.</summary>
    private static void RunSixteenWritersBehindOneFsync(LatticeDb db, MemFileSystem fs, Action? beforeJoin = null)
    {
        var (firstSyncEntered, release) = BlockFirstLogSync(fs);
        using var threads = new TestThreads();
        threads.Stopping.Register(release.Set);
        void StartWriter(int t) => threads.Start($"writer {t}", () => db.Put(B($"k{t}"), B("v"), new WriteOptions { Sync = true }));
        StartWriter(0);
        threads.Wait(firstSyncEntered, "writer 0 never reached its fsync");
        for (int t = 1; t < 16; t++) StartWriter(t);
        SpinWait.SpinUntil(() => db.QueuedWriters == 16, TimeSpan.FromSeconds(30));
        Assert.Equal(16, db.QueuedWriters);
        release.Set();
        beforeJoin?.Invoke();
        threads.JoinAndRethrow();
    }

    /// <summary>Makes the first fsync of a log block until released, and says when it has started.</summary>
    private static (ManualResetEventSlim Entered, ManualResetEventSlim Release) BlockFirstLogSync(MemFileSystem fs)
    {
        var entered = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        int logSyncs = 0;
        fs.BeforeSync = path =>
        {
            if (!path.EndsWith(".log", StringComparison.Ordinal)) return;
            if (Interlocked.Increment(ref logSyncs) == 1)
            {
                entered.Set();
                release.Wait();
            }
        };
        return (entered, release);
    }

    /// <summary>
    /// Writers update two keys per batch while readers check, through snapshots and iterators,
    /// that both always agree. Halfway every writer pauses until each reader has checked a
    /// snapshot of that moment, so the readers provably ran while the writers did.
    /// </summary>
    [Fact]
    public void WritersAndReaders_ManyThreads_ReadersNeverSeeHalfABatch()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 32 * 1024, MaxBytesForLevelBase = 128 * 1024, TargetFileSizeBase = 32 * 1024 });
        const int writers = 6, readers = 4, perWriter = 3000, halfway = perWriter / 2;
        string Number(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        int violations = 0, halfwayChecks = 0, writersDone = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        using var writersAtHalfway = new CountdownEvent(writers);
        using var readersCheckedHalfway = new CountdownEvent(readers);
        var threads = new List<Thread>();
        for (int w = 0; w < writers; w++)
        {
            int id = w;
            threads.Add(new Thread(() =>
            {
                bool paused = false;
                try
                {
                    for (int i = 1; i <= perWriter; i++)
                    {
                        var batch = new WriteBatch();
                        batch.Put(B($"w{id}/a"), B(Number(i)));
                        batch.Put(B($"w{id}/b"), B(Number(i)));
                        db.Write(batch, new WriteOptions { Sync = i % 500 == 0 });
                        if (i == halfway)
                        {
                            paused = true;
                            writersAtHalfway.Signal();
                            readersCheckedHalfway.Wait();
                        }
                    }
                }
                catch (Exception ex) { failures.Enqueue(ex); }
                finally
                {
                    if (!paused) writersAtHalfway.Signal();
                    Interlocked.Increment(ref writersDone);
                }
            }));
        }
        for (int r = 0; r < readers; r++)
        {
            threads.Add(new Thread(() =>
            {
                bool checkedHalfway = false;
                try
                {
                    while (Volatile.Read(ref writersDone) < writers)
                    {
                        // Every writer is paused at its halfway batch until this reader has looked.
                        bool atHalfway = !checkedHalfway && writersAtHalfway.IsSet;
                        using var snap = db.GetSnapshot();
                        var ro = new ReadOptions { Snapshot = snap };
                        for (int w = 0; w < writers; w++)
                        {
                            string? a = S(db.Get(B($"w{w}/a"), ro)), b = S(db.Get(B($"w{w}/b"), ro));
                            if (a != b) Interlocked.Increment(ref violations);
                            if (atHalfway && a != Number(halfway)) failures.Enqueue(new InvalidOperationException($"writer {w} paused at {halfway} but a snapshot shows {a}"));
                        }
                        if (atHalfway)
                        {
                            checkedHalfway = true;
                            Interlocked.Increment(ref halfwayChecks);
                            readersCheckedHalfway.Signal();
                        }
                        using var it = db.NewIterator();
                        string? pending = null;
                        for (it.SeekToFirst(); it.Valid; it.Next())
                        {
                            string key = S(it.Key.ToArray())!, value = S(it.Value.ToArray())!;
                            if (key.EndsWith("/a", StringComparison.Ordinal)) pending = value;
                            else if (pending != value) Interlocked.Increment(ref violations);
                        }
                    }
                }
                catch (Exception ex) { failures.Enqueue(ex); }
                finally
                {
                    if (!checkedHalfway) readersCheckedHalfway.Signal(); // never leave the writers paused
                }
            }));
        }
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);
        Assert.Equal(0, violations);
        Assert.Equal(readers, halfwayChecks);
        for (int w = 0; w < writers; w++) Assert.Equal(Number(perWriter), S(db.Get(B($"w{w}/a"))));
        Assert.Equal(writers * perWriter, db.GetStatistics()["write.batches"]);
    }
}
