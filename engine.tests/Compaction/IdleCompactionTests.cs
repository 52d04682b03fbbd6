using System.Globalization;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Compaction;

/// <summary>
/// The idle level-0 drain (<see cref="DbOptions.IdleCompactionDelay"/>): which trees qualify, when
/// the database counts as idle, and what a drain does to a database on a clock the test moves.
/// Interrupted drains are ordinary compactions (the crash tests of compaction cover their recovery).
/// </summary>
public class IdleCompactionTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);

    private static LsmOptions Options => CompactionPickerTests.Options; // level 0 triggers at 4, multiplier 10

    [Theory]
    [InlineData("L0: a-c/100 b-d/100; L1: a-b/300 c-d/300 x-y/5000", "L0 [1 2] -> L1 [3 4]")] // 200 bytes over 600: drained
    [InlineData("L0: a-c/100; L1: a-z/1000", "L0 [1] -> L1 [2]")] // exactly a tenth: drained
    [InlineData("L0: a-c/99; L1: a-z/1000", "none")] // under a tenth of what it overlaps: left for the trigger
    [InlineData("L0: m-n/10; L2: a-z/100000", "L0 [1] -> L1 []")] // nothing in level 1 to rewrite
    [InlineData("L0: a-b a-b a-b a-b", "none")] // at the trigger: the scored pick's business
    [InlineData("L0: a-b* a-b", "none")] // a level-0 compaction is running
    [InlineData("L0: a-b; L1: a-c*", "none")] // its level-1 overlap is busy
    [InlineData("L1: a-c", "none")]
    public void PickIdleDrain_Tree_DrainsLevelZeroOnlyWithinTheWriteBound(string tree, string expected)
    {
        var v = LevelFixture.Version(tree, Options.NumLevels);
        var picker = new CompactionPicker(Options);
        var probe = picker.PickIdleDrain(3, v, mark: false);
        Assert.Equal(expected, Describe(probe));
        Assert.Equal(tree.Contains('*', StringComparison.Ordinal), v.AllFiles.Any(f => f.BeingCompacted)); // a probe marks nothing
        var plan = picker.PickIdleDrain(3, v, mark: true);
        Assert.Equal(expected, Describe(plan));
        if (plan is not null)
        {
            Assert.All(plan.AllInputs, f => Assert.True(f.BeingCompacted));
            Assert.Equal("L0 idle drain", plan.Reason);
            Assert.Null(picker.PickIdleDrain(3, v, mark: true)); // its inputs are now busy
        }
    }

    [Theory]
    [InlineData(800, "L0 [1 2] -> L1 [3 4]")] // the rewrite is 800 bytes: within a budget of 800
    [InlineData(799, "none")]
    [InlineData(0, "none")]
    public void PickIdleDrain_RewriteOverBudget_IsLeft(long budget, string expected)
    {
        var v = LevelFixture.Version("L0: a-c/100 b-d/100; L1: a-b/300 c-d/300 x-y/5000", Options.NumLevels);
        var picker = new CompactionPicker(Options);
        Assert.Equal(expected, Describe(picker.PickIdleDrain(3, v, mark: false, budget)));
    }

    [Fact]
    public void AmortizedDrain_LittleWrittenSinceOpen_LeavesLevelZero_ThenDrainsOnceTheWorkPaysForIt()
    {
        var fs = new MemFileSystem();
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        using (var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, Delay))) FillLevelOne(db);
        using var db2 = LatticeDb.Open(DbPath, TreeOptions(fs, clock, TimeSpan.FromHours(1), amortized: true));
        Overwrite(db2, every: 5, round: 1);
        Overwrite(db2, every: 7, round: 2);
        var before = Contents(db2, db2.DefaultColumnFamily);
        // Two small flushes since open: draining would rewrite level 1 whole, far more than a quarter of them.
        db2.WaitForCompactions();
        Assert.Equal(2, FilesAt(db2, 0));
        var stats = db2.GetStatistics();
        long written = stats["flush.bytes"] + stats["compaction.bytes.written"];
        long rewrite = LevelBytes(db2, 0) + LevelBytes(db2, 1);
        Assert.True(rewrite * IdleL0Drain.RewriteShare > written, $"rewrite {rewrite}, written {written}");
        // Work elsewhere pays for it: another family's flush, four times the rewrite. That family's
        // own level 0 (its whole data) is more than a quarter of the work, so it stays.
        var other = db2.CreateColumnFamily("other");
        var rnd = new Random(TestSeed.Get(85));
        long keys = rewrite * IdleL0Drain.RewriteShare / 100 + 1000; // 100-byte incompressible values, one table
        for (int i = 0; i < keys; i++)
        {
            var value = new byte[100];
            rnd.NextBytes(value);
            db2.Put(other, Key(i), value);
        }
        db2.Flush(other);
        stats = db2.GetStatistics();
        Assert.True(stats["flush.bytes"] + stats["compaction.bytes.written"] >= written + rewrite * IdleL0Drain.RewriteShare);
        var otherBefore = Contents(db2, other);
        db2.WaitForCompactions();
        Assert.Equal(0, FilesAt(db2, 0));
        Assert.Equal(before, Contents(db2, db2.DefaultColumnFamily));
        Assert.Equal(otherBefore, Contents(db2, other));
        Assert.NotEqual("0", db2.GetProperty(other, "lattice.num-files-at-level0"));
    }

    [Fact]
    public void Idle_WritesBetweenTicks_NeverIdle_ThenIdleAfterAWholeDelayWithoutOne()
    {
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        var mutex = new object();
        ulong sequence = 10;
        using var drain = new IdleL0Drain(clock, Delay, mutex, () => Volatile.Read(ref sequence));
        for (int i = 0; i < 5; i++)
        {
            sequence++; // a write in every delay
            clock.Advance(Delay);
            Assert.False(drain.Idle, $"idle after write {i}");
        }
        clock.Advance(Delay); // a whole delay with no write
        Assert.True(drain.Idle);
        sequence++; // a write ends the idle period at once, before the next tick
        Assert.False(drain.Idle);
        clock.Advance(Delay);
        Assert.False(drain.Idle);
        clock.Advance(Delay);
        Assert.True(drain.Idle);
    }

    [Fact]
    public void DeclareIdle_CountsAsIdleAtOnce_UntilTheNextWrite()
    {
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        var mutex = new object();
        ulong sequence = 1;
        using var drain = new IdleL0Drain(clock, Delay, mutex, () => Volatile.Read(ref sequence));
        sequence = 5;
        Assert.False(drain.Idle);
        lock (mutex) drain.DeclareIdle();
        Assert.True(drain.Idle);
        sequence = 6;
        Assert.False(drain.Idle);
        drain.Dispose();
        clock.Advance(Delay * 3);
        Assert.False(drain.Idle);
        Assert.Equal(0, clock.ActiveTimers);
    }

    [Fact]
    public void IdleDatabase_AfterTheDelay_DrainsLevelZeroInTheBackground_SameData_AlsoAfterReopen()
    {
        var fs = new MemFileSystem();
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        using (var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, Delay))) FillLevelOne(db);
        using var drained = new LevelZeroCompactions(); // from here on, only a drain compacts level 0
        var options = TreeOptions(fs, clock, Delay);
        options.EventListeners.Add(drained);
        List<string> before;
        using (var db = LatticeDb.Open(DbPath, options))
        {
            Overwrite(db, every: 5, round: 1);
            Overwrite(db, every: 7, round: 2);
            Assert.Equal(2, FilesAt(db, 0));
            before = Contents(db, db.DefaultColumnFamily);
            clock.Advance(Delay); // the first tick sees the writes since open
            Assert.False(db.IdleDrain!.Idle);
            Assert.Equal(2, FilesAt(db, 0));
            clock.Advance(Delay); // a whole delay without a write
            Assert.True(drained.Wait(TimeSpan.FromSeconds(60)), "no level-0 compaction after the idle delay");
            Assert.Equal(0, FilesAt(db, 0));
            Assert.True(FilesAt(db, 1) > 0);
            Assert.Equal(before, Contents(db, db.DefaultColumnFamily));
            db.WaitForCompactions();
            Assert.Equal(1, drained.Count);
        }
        using (var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, Delay)))
        {
            Assert.Equal(0, FilesAt(db, 0));
            Assert.Equal(before, Contents(db, db.DefaultColumnFamily));
        }
    }

    [Fact]
    public void WaitForCompactions_WithTheDrainOn_DrainsAtOnce_WithoutWaitingForTheDelay()
    {
        var fs = new MemFileSystem();
        var clock = new TimerClock(DateTimeOffset.UnixEpoch); // never advanced: only WaitForCompactions can start the drain
        using var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, TimeSpan.FromHours(1)));
        FillLevelOne(db);
        Overwrite(db, every: 5, round: 1);
        Overwrite(db, every: 7, round: 2);
        var before = Contents(db, db.DefaultColumnFamily);
        Assert.Equal(2, FilesAt(db, 0));
        db.WaitForCompactions();
        Assert.Equal(0, FilesAt(db, 0));
        Assert.Equal(before, Contents(db, db.DefaultColumnFamily));
    }

    [Fact]
    public void TinyLevelZeroOverALargeLevelOne_IsNotDrained()
    {
        var fs = new MemFileSystem();
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        using var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, Delay));
        FillLevelOne(db);
        long levelOne = LevelBytes(db, 1);
        db.Put(Key(0), B("small"));
        db.Put(Key(Keys - 1), B("small")); // spans the whole of level 1
        db.Flush();
        Assert.True(LevelBytes(db, 0) * 10 < levelOne, $"level 0 {LevelBytes(db, 0)} bytes, level 1 {levelOne}");
        clock.Advance(Delay * 3);
        Assert.True(db.IdleDrain!.Idle);
        db.WaitForCompactions();
        Assert.Equal(1, FilesAt(db, 0));
        Assert.Equal(levelOne, LevelBytes(db, 1));
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    public void DrainOff_LevelZeroStays(int? delaySeconds)
    {
        var fs = new MemFileSystem();
        var clock = new TimerClock(DateTimeOffset.UnixEpoch);
        using var db = LatticeDb.Open(DbPath, TreeOptions(fs, clock, delaySeconds is { } s ? TimeSpan.FromSeconds(s) : null));
        Assert.Null(db.IdleDrain);
        FillLevelOne(db);
        Overwrite(db, every: 5, round: 1);
        Overwrite(db, every: 7, round: 2);
        clock.Advance(Delay * 5);
        db.WaitForCompactions();
        Assert.Equal(2, FilesAt(db, 0));
    }

    [Fact]
    public void NegativeDelay_IsRejected()
    {
        var fs = new MemFileSystem();
        var ex = Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(DbPath, MemOptions(fs, o => o.IdleCompactionDelay = TimeSpan.FromSeconds(-1))));
        Assert.Contains("IdleCompactionDelay", ex.Message, StringComparison.Ordinal);
    }

    private const int Keys = 2000;

    /// <summary>
    /// A tree the test shapes; its drains are not amortized over the work written before them
    /// (the trees are too small to have paid for one) unless <paramref name="amortized"/>.
    /// </summary>
    private static DbOptions TreeOptions(MemFileSystem fs, TimeProvider clock, TimeSpan? delay, bool amortized = false) => MemOptions(fs, o =>
    {
        if (!amortized) o.TestHooks = new LatticeKV.Db.TestHooks { IdleDrainUnamortized = true };
        o.WriteBufferSize = 4 << 20; // only the test's flushes make tables
        o.TargetFileSizeBase = 64 * 1024;
        o.MaxBytesForLevelBase = 16 << 20;
        o.Level0FileNumCompactionTrigger = 4;
        o.Clock = clock;
        o.IdleCompactionDelay = delay;
    });

    private static byte[] Key(int i) => B($"key{i:D6}");

    /// <summary>Every key once, compacted into level 1.</summary>
    private static void FillLevelOne(LatticeDb db)
    {
        var rnd = new Random(TestSeed.Get(84));
        for (int i = 0; i < Keys; i++)
        {
            var value = new byte[100];
            rnd.NextBytes(value);
            db.Put(Key(i), value);
        }
        db.CompactRange();
        Assert.Equal(0, FilesAt(db, 0));
        Assert.True(FilesAt(db, 1) > 0);
    }

    /// <summary>Every <paramref name="every"/>th key written again, flushed into one level-0 table.</summary>
    private static void Overwrite(LatticeDb db, int every, int round)
    {
        var rnd = new Random(TestSeed.Get(84 + round));
        for (int i = 0; i < Keys; i += every)
        {
            var value = new byte[100]; // incompressible: the table's size is what the write bound weighs
            rnd.NextBytes(value);
            db.Put(Key(i), value);
        }
        db.Delete(Key(1 + round));
        db.Flush();
    }

    private static int FilesAt(LatticeDb db, int level) => int.Parse(db.GetProperty($"lattice.num-files-at-level{level}")!, CultureInfo.InvariantCulture);

    private static long LevelBytes(LatticeDb db, int level) => long.Parse(db.GetProperty($"lattice.level-bytes-at-level{level}")!, CultureInfo.InvariantCulture);

    private static string Describe(CompactionPlan? c)
        => c is null ? "none" : $"L{c.Level} [{string.Join(' ', c.Inputs.Select(f => f.Number))}] -> L{c.OutputLevel} [{string.Join(' ', c.OutputLevelInputs.Select(f => f.Number))}]";

    /// <summary>Counts successful compactions out of level 0 and signals the first.</summary>
    private sealed class LevelZeroCompactions : IEventListener, IDisposable
    {
        private readonly ManualResetEventSlim _first = new();
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public bool Wait(TimeSpan timeout) => _first.Wait(timeout);

        public void OnEvent(LatticeEvent e)
        {
            if (e is not CompactionCompletedEvent { Level: 0, Succeeded: true }) return;
            Interlocked.Increment(ref _count);
            _first.Set();
        }

        public void Dispose() => _first.Dispose();
    }
}
