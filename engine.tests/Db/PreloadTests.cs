using System.Text;
using LatticeKV.Db;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

public class PreloadTests
{
    private const int Keys = 3000;
    private const int HotKeys = 200;

    private static DbOptions Options(Action<DbOptions>? configure = null)
    {
        var o = new DbOptions
        {
            BlockCacheCapacity = 8 << 20,
            ReadaheadMaxBytes = 0,
            DefaultColumnFamilyOptions = new ColumnFamilyOptions { BlockSize = 1024 },
        };
        configure?.Invoke(o);
        return o;
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D6}");

    private static byte[] Value(int i) => Encoding.ASCII.GetBytes($"value-{i:D6}-" + new string((char)('a' + i % 26), 80));

    private static void Fill(string path, DbOptions? options = null)
    {
        using var db = LatticeDb.Open(path, options ?? Options());
        for (int i = 0; i < Keys; i++) db.Put(Key(i), Value(i));
        db.Flush();
    }

    /// <summary>Reads the hot keys often enough that the cache keeps them as frequently used, then closes (recording them).</summary>
    private static void HeatAndClose(string path, DbOptions? options = null)
    {
        using var db = LatticeDb.Open(path, options ?? Options());
        for (int round = 0; round < 4; round++)
            for (int i = 0; i < HotKeys; i++) Assert.Equal(Value(i), db.Get(Key(i)));
    }

    private static long Stat(LatticeDb db, string name) => db.GetStatistics()[name];

    private static void WaitForPreload(LatticeDb db) => Assert.True(db.Anticipation!.Preloader!.Completion.Wait(TimeSpan.FromSeconds(30)), "preload did not finish");

    [Fact]
    public void Reopen_AfterHotReads_ServesHotBlocksFromCache()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        var recorded = HotSetFile.Read(LatticeKV.Io.RealFileSystem.Instance, dir.Path);
        Assert.NotNull(recorded);
        Assert.NotEmpty(recorded);

        using var db = LatticeDb.Open(dir.Path, Options());
        WaitForPreload(db);
        Assert.True(Stat(db, "cache.preload.blocks") > 0);
        long misses = Stat(db, "block.cache.misses");
        for (int i = 0; i < HotKeys; i++) Assert.Equal(Value(i), db.Get(Key(i)));
        Assert.Equal(misses, Stat(db, "block.cache.misses"));
        Assert.True(Stat(db, "cache.preload.hits") > 0);
    }

    [Fact]
    public void Reopen_PreloadDisabled_HotReadsMiss()
    {
        // The control for the test above: without preload the same reads go to the file.
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        using var db = LatticeDb.Open(dir.Path, Options(o => o.Preload = new PreloadOptions { Enabled = false }));
        Assert.Null(db.Anticipation!.Preloader);
        long misses = Stat(db, "block.cache.misses");
        for (int i = 0; i < HotKeys; i++) db.Get(Key(i));
        Assert.True(Stat(db, "block.cache.misses") > misses);
        Assert.Equal(0, Stat(db, "cache.preload.blocks"));
    }

    [Fact]
    public void Preload_MaxBytes_Bounded()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        using var db = LatticeDb.Open(dir.Path, Options(o => o.Preload = new PreloadOptions { MaxBytes = 8 * 1024 }));
        WaitForPreload(db);
        long bytes = Stat(db, "cache.preload.bytes");
        Assert.InRange(bytes, 1, 8 * 1024);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    public void Open_DamagedHotSet_IgnoredSafely(string damage)
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        string path = HotSetFile.PathIn(dir.Path);
        var bytes = File.ReadAllBytes(path);
        bytes = damage switch
        {
            "garbage" => Enumerable.Range(0, 1000).Select(i => (byte)(i * 37)).ToArray(),
            "truncated" => bytes[..(bytes.Length - 7)],
            "flipped" => [.. bytes[..20], (byte)(bytes[20] ^ 0x40), .. bytes[21..]],
            _ => [],
        };
        File.WriteAllBytes(path, bytes);
        using var db = LatticeDb.Open(dir.Path, Options());
        WaitForPreload(db);
        Assert.Equal(1, Stat(db, "cache.preload.hotset.rejected"));
        Assert.Equal(0, Stat(db, "cache.preload.blocks"));
        Assert.Equal(Value(5), db.Get(Key(5)));
    }

    [Fact]
    public void Open_StaleHotSetEntries_Skipped()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        long table = Directory.GetFiles(dir.Path, "*.sst").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Single();
        // A table long gone, a position inside a block, a wrong size, and one good block.
        HotSetFile.Write(LatticeKV.Io.RealFileSystem.Instance, dir.Path,
            [new HotBlock(999_999, 0, 1000), new HotBlock(table, 3, 1000), new HotBlock(table, 0, 5), new HotBlock(table, 0, FirstBlockSize(dir.Path, table))]);
        using var db = LatticeDb.Open(dir.Path, Options());
        WaitForPreload(db);
        Assert.Equal(3, Stat(db, "cache.preload.skipped.entries"));
        Assert.Equal(1, Stat(db, "cache.preload.blocks"));
    }

    private static long FirstBlockSize(string path, long table)
    {
        using var db = LatticeDb.OpenReadOnly(path, Options(o => o.Preload = new PreloadOptions { Enabled = false }));
        using var lease = db.Tables.Acquire(table);
        return lease.Reader.Fences.Handle(0).Size;
    }

    [Fact]
    public void OpenReadOnly_NeverWritesHotSet()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        File.Delete(HotSetFile.PathIn(dir.Path));
        using (var db = LatticeDb.OpenReadOnly(dir.Path, Options()))
        {
            for (int round = 0; round < 4; round++)
                for (int i = 0; i < HotKeys; i++) db.Get(Key(i));
            Assert.Null(db.Anticipation!.Recorder);
        }
        Assert.False(File.Exists(HotSetFile.PathIn(dir.Path)));
    }

    [Fact]
    public void RecordInterval_TimerFires_WritesHotSetWhileOpen()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        File.Delete(HotSetFile.PathIn(dir.Path));
        var clock = new CapturingTimerClock();
        using var db = LatticeDb.Open(dir.Path, Options(o =>
        {
            o.Clock = clock;
            o.Preload = new PreloadOptions { RecordInterval = TimeSpan.FromMinutes(1) };
            // The clock captures one timer: the hot set's, not the storage history's or live statistics'.
            o.StorageSampleInterval = null;
            o.LiveStatsInterval = null;
        }));
        for (int round = 0; round < 4; round++)
            for (int i = 0; i < HotKeys; i++) db.Get(Key(i));
        Assert.Equal(TimeSpan.FromMinutes(1), clock.Period);
        clock.Fire();
        Assert.True(File.Exists(HotSetFile.PathIn(dir.Path)));
        Assert.True(Stat(db, "cache.preload.hotset.recorded.blocks") > 0);
    }

    [Fact]
    public void HotSet_CheckpointRepairAndPurge_TreatedAsAdvisory()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        Assert.True(File.Exists(HotSetFile.PathIn(dir.Path)));
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            // A compaction purges obsolete files: the hot set is not one of them.
            for (int i = 0; i < Keys; i += 3) db.Put(Key(i), Value(i + 1));
            db.Flush();
            db.CompactRange();
            Assert.True(File.Exists(HotSetFile.PathIn(dir.Path)));
            db.CreateCheckpoint(dir.Sub("checkpoint"));
        }
        Assert.False(File.Exists(Path.Combine(dir.Sub("checkpoint"), HotSetFile.Name)));
        using (var copy = LatticeDb.Open(dir.Sub("checkpoint"), Options())) Assert.Equal(Value(4), copy.Get(Key(3)));

        // After a compaction the recorded tables are gone: stale entries are skipped.
        using (var db = LatticeDb.Open(dir.Path, Options()))
        {
            WaitForPreload(db);
            Assert.Equal(Value(4), db.Get(Key(3)));
        }
        LatticeDb.Repair(dir.Path, Options());
        Assert.False(File.Exists(HotSetFile.PathIn(dir.Path)));
        using (var db = LatticeDb.Open(dir.Path, Options())) Assert.Equal(Value(4), db.Get(Key(3)));
    }

    [Fact]
    public void HotSet_EncryptedFamily_HoldsNoPlaintext()
    {
        using var dir = new TempDir();
        var key = new byte[32];
        new Random(TestSeed.Get(22)).NextBytes(key);
        var marker = Encoding.ASCII.GetBytes("SECRET-MARKER");
        DbOptions Encrypted() => Options(o => o.Encryption = EncryptionOptions.FromKey(key));
        using (var db = LatticeDb.Open(dir.Path, Encrypted()))
        {
            var cf = db.CreateColumnFamily("secrets", new ColumnFamilyOptions { Encrypted = true, BlockSize = 1024 });
            for (int i = 0; i < 500; i++) db.Put(cf, [.. marker, .. Key(i)], [.. marker, .. Value(i)]);
            db.Flush(cf);
            for (int round = 0; round < 4; round++)
                for (int i = 0; i < 100; i++) Assert.NotNull(db.Get(cf, [.. marker, .. Key(i)]));
        }
        var bytes = File.ReadAllBytes(HotSetFile.PathIn(dir.Path));
        Assert.NotEmpty(HotSetFile.Decode(bytes, "HOTSET"));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(marker));
        using (var db = LatticeDb.Open(dir.Path, Encrypted()))
        {
            WaitForPreload(db);
            Assert.True(Stat(db, "cache.preload.blocks") > 0);
        }
    }

    [Fact]
    public void Dispose_WhilePreloading_StopsPromptly()
    {
        using var dir = new TempDir();
        Fill(dir.Path);
        HeatAndClose(dir.Path);
        // One block per second: preloading the hot set would take minutes.
        var db = LatticeDb.Open(dir.Path, Options(o => o.Preload = new PreloadOptions { BytesPerSecond = 1024 }));
        var preload = db.Anticipation!.Preloader!.Completion;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        db.Dispose();
        Assert.True(preload.IsCompleted);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"close took {watch.Elapsed}");
    }

    /// <summary>Keeps the callback of the one timer created, for the test to fire by hand.</summary>
    private sealed class CapturingTimerClock : TimeProvider
    {
        private TimerCallback? _callback;
        private object? _state;

        public TimeSpan Period { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _callback = callback;
            _state = state;
            Period = period;
            return new NoTimer();
        }

        public void Fire() => _callback!(_state);

        private sealed class NoTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose() { }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
