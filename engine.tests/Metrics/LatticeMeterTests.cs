using LatticeKV.Metrics;
using LatticeKV.Tests.Replication;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Metrics;

[Collection(MeterListenerCollection.Name)]
public sealed class LatticeMeterTests
{
    private const string Duration = "lattice.operation.duration";

    private static string UniqueName() => "m-" + Guid.NewGuid().ToString("N")[..12];

    private static (string Key, string Value) Op(string name) => (MetricTags.Operation, name);

    private static (string Key, string Value) Family(string name) => (MetricTags.ColumnFamily, name);

    [Fact]
    public void Get_OnAFamily_RecordsOneDurationTaggedWithIt()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        var users = db.CreateColumnFamily("users");
        db.Put(users, "k"u8, "v"u8);
        using var capture = new MetricsCapture(name);

        Assert.Equal("v", TestDb.S(db.Get(users, "k"u8)));

        var gets = capture.Values(Duration, Op("get"), Family("users"));
        Assert.Single(gets);
        Assert.True(gets[0] > 0 && gets[0] < 60, $"a get of {gets[0]} s");
        Assert.Empty(capture.Values(Duration, Op("get"), Family("default")));
    }

    [Theory]
    [InlineData(16, 4)]  // moves sampled one in 256 per iterator: 1024 moves, 4 timings
    [InlineData(1, 1024)] // LatencySampling 1 times every move
    public void IteratorMoves_SampledPerIterator_SixteenTimesSparserThanOtherOperations(int sampling, int expected)
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = sampling });
        for (int i = 0; i < 600; i++) db.Put(TestDb.B($"k{i:D4}"), "v"u8);
        using var capture = new MetricsCapture(name);
        using (var it = db.NewIterator())
        {
            it.SeekToFirst();
            for (int i = 0; i < 512; i++) it.Next();
            for (int i = 0; i < 512; i++) it.Prev();
            Assert.True(it.Valid);
        }
        Assert.Equal(expected, capture.Values(Duration, Op("next"), Family("default")).Count);
    }

    [Fact]
    public void EveryOperationKind_RecordsItsDurationWithTags()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        var counts = db.CreateColumnFamily("counts", new ColumnFamilyOptions { MergeOperator = MergeOperators.Int64Add });
        using var capture = new MetricsCapture(name);

        db.Put("a"u8, "1"u8);
        db.Put("b"u8, "2"u8);
        db.Delete("b"u8);
        var batch = new WriteBatch();
        batch.Put("c"u8, "3"u8);
        db.Write(batch);
        db.Merge(counts, "n"u8, BitConverter.GetBytes(5L));
        db.TryGet("a"u8, new byte[8], out _);
        using (var it = db.NewIterator())
        {
            it.Seek("a"u8);
            it.Next();
            it.SeekToLast();
            it.Prev();
        }
        using (var tx = db.BeginTransaction())
        {
            tx.Put(db.DefaultColumnFamily, "t"u8, "x"u8);
            tx.Commit();
        }

        Assert.Equal(2, capture.Values(Duration, Op("put"), Family("default")).Count);
        Assert.Single(capture.Values(Duration, Op("delete"), Family("default")));
        Assert.Single(capture.Values(Duration, Op("merge"), Family("counts")));
        Assert.Single(capture.Values(Duration, Op("get"), Family("default")));
        Assert.Equal(2, capture.Values(Duration, Op("seek"), Family("default")).Count);
        Assert.Equal(2, capture.Values(Duration, Op("next"), Family("default")).Count);
        // A batch and a commit may span families: they carry the database's tag and no family's.
        var write = Assert.Single(capture.TagsOf(Duration), t => Equals(t[MetricTags.Operation], "write"));
        Assert.False(write.ContainsKey(MetricTags.ColumnFamily));
        Assert.Single(capture.Values(Duration, Op("transaction_commit")));
    }

    [Fact]
    public void SyncApply_RecordsItsDuration()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        var replicated = new ColumnFamilyOptions { Replicated = true };
        using var a = LatticeDb.Open(dir.Sub("a"));
        using var b = LatticeDb.Open(dir.Sub("b"), new DbOptions { Name = name, LatencySampling = 1 });
        var fa = a.CreateColumnFamily("kv", replicated);
        b.CreateColumnFamily("kv", replicated);
        a.Put(fa, "k"u8, "v"u8);
        using var capture = new MetricsCapture(name);

        Assert.Equal(1, InProcessSync.Pull(a, b));

        Assert.NotEmpty(capture.Values(Duration, Op("sync_apply")));
    }

    [Fact]
    public void FlushAndCompaction_RaiseTheirCountersAndBytes()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        using var capture = new MetricsCapture(name);
        capture.Collect();
        Assert.Equal(0, capture.Latest("lattice.flushes"));
        Assert.Equal(0, capture.Latest("lattice.bytes.written", (MetricTags.IoKind, "flush")));

        for (int i = 0; i < 100; i++) db.Put(TestDb.B($"key{i:D4}"), new byte[100]);
        capture.Collect();
        Assert.True(capture.Latest("lattice.memtable.size", Family("default")) > 100 * 100);
        Assert.True(capture.Latest("lattice.bytes.written", (MetricTags.IoKind, "user")) >= 100 * 100);
        Assert.True(capture.Latest("lattice.bytes.written", (MetricTags.IoKind, "log")) >= 100 * 100);

        db.Flush();
        db.Put("key0000"u8, new byte[100]);
        db.Flush();
        capture.Collect();
        Assert.Equal(2, capture.Latest("lattice.flushes"));
        Assert.True(capture.Latest("lattice.bytes.written", (MetricTags.IoKind, "flush")) > 0);
        Assert.True(capture.Latest("lattice.live.size", Family("default"), (MetricTags.Level, "0")) > 0);

        db.CompactRange();
        capture.Collect();
        Assert.True(capture.Latest("lattice.compactions") >= 1);
        Assert.True(capture.Latest("lattice.bytes.written", (MetricTags.IoKind, "compaction")) > 0);
        Assert.True(capture.Latest("lattice.bytes.read", (MetricTags.IoKind, "compaction")) > 0);
        Assert.Equal(0, capture.Latest("lattice.live.size", Family("default"), (MetricTags.Level, "0")));
        Assert.NotEmpty(capture.Values("lattice.compaction.pending", Family("default")));
        Assert.NotEmpty(capture.Values("lattice.write.stalls"));
        Assert.NotEmpty(capture.Values("lattice.write.stall.duration"));
        Assert.NotEmpty(capture.Values("lattice.background.errors"));
    }

    [Fact]
    public void Reads_CountCacheHitsMissesAndUsefulFilterChecks()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        for (int i = 0; i < 50; i++) db.Put(TestDb.B($"key{i:D4}"), TestDb.B($"v{i}"));
        db.Flush();
        using var capture = new MetricsCapture(name);

        db.Get("key0001"u8);
        db.Get("key0001"u8);
        for (int i = 0; i < 20; i++) db.Get(TestDb.B($"key0010-absent{i}")); // within the table's range: only its filter rules them out
        capture.Collect();

        Assert.True(capture.Latest("lattice.block_cache.misses") >= 1);
        Assert.True(capture.Latest("lattice.block_cache.hits") >= 1);
        // A bloom filter of 10 bits per key lets few of 20 absent keys through.
        Assert.True(capture.Latest("lattice.bloom_filter.useful") >= 15, $"useful {capture.Latest("lattice.bloom_filter.useful")}");
    }

    [Fact]
    public void SyncedWrite_CountsLogSyncsAndWritersPerSync()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        using var capture = new MetricsCapture(name);

        db.Put("k"u8, "v"u8, new WriteOptions { Sync = true });
        capture.Collect();

        Assert.Equal(1, capture.Latest("lattice.wal.syncs"));
        Assert.Equal([1.0], capture.Values("lattice.wal.sync.writers"));
    }

    [Fact]
    public void Name_DefaultsToTheDirectorysLastSegment()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Sub(name) + Path.DirectorySeparatorChar, new DbOptions { LatencySampling = 1 });
        using var capture = new MetricsCapture(name);

        db.Put("k"u8, "v"u8);

        Assert.Single(capture.Values(Duration, Op("put")));
    }

    [Fact]
    public void Dispose_StopsTheInstrumentsReadingTheDatabase()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 });
        Assert.Contains(LatticeMeter.Registered, m => m.Name == name);
        using var capture = new MetricsCapture(name);
        capture.Collect();
        Assert.NotEmpty(capture.Values("lattice.flushes"));

        db.Dispose();
        capture.Clear();
        capture.Collect();

        Assert.DoesNotContain(LatticeMeter.Registered, m => m.Name == name);
        Assert.Empty(capture.Values("lattice.flushes"));
    }

    [Fact]
    public void Options_BlankNameOrNonPositiveThreshold_AreRefused()
    {
        using var dir = new TempDir("meter");
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { Name = " " }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { SlowOperationThreshold = TimeSpan.Zero }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { SlowOperationThreshold = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { LatencySampling = 0 }));
        Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path, new DbOptions { LatencySampling = 12 }));
    }

    [Fact]
    public void DefaultSampling_TimesOneOperationInSixteen_AndEveryOneForTheSlowLog()
    {
        using var dir = new TempDir("meter");
        string name = UniqueName();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name });
        Assert.Equal(16, new DbOptions().LatencySampling);
        db.Put("k"u8, "v"u8);
        using (var capture = new MetricsCapture(name))
        {
            for (int i = 0; i < 1600; i++) db.Get("k"u8);
            Assert.Equal(100, capture.Values(Duration, Op("get")).Count);
        }

        // With the slow-operation log on every operation is timed, and the histogram still takes one in sixteen.
        using var slowDir = new TempDir("meter");
        string slowName = UniqueName();
        using var slow = LatticeDb.Open(slowDir.Path, new DbOptions { Name = slowName, SlowOperationThreshold = TimeSpan.FromHours(1) });
        slow.Put("k"u8, "v"u8);
        using (var capture = new MetricsCapture(slowName))
        {
            for (int i = 0; i < 1600; i++) slow.Get("k"u8);
            Assert.Equal(100, capture.Values(Duration, Op("get")).Count);
        }
    }
}
