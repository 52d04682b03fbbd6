using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// The block cache keeps decompressed blocks while they all fit its budget, and once they do
/// not, keeps most of the tables compressed so that reads decompress instead of reading files.
/// </summary>
public class BlockCacheTiersTests
{
    [Theory]
    [InlineData(100L << 20, 40L << 20, 80L << 20, 0L)]            // everything fits decompressed
    [InlineData(100L << 20, 40L << 20, 95L << 20, (40L << 20) * 17 / 16)] // just too big: the tables compressed, plus a sixteenth
    [InlineData(100L << 20, 300L << 20, 600L << 20, 90L << 20)]   // far too big: nine tenths compressed
    public void Resize_SplitsTheBudgetByTheTablesSize(long budget, long compressed, long raw, long expectedCompressed)
    {
        var tiers = new BlockCacheTiers(budget, new BlockArrayPool(0));
        tiers.Resize(compressed, raw);
        Assert.Equal(expectedCompressed, tiers.Compressed.Capacity);
        Assert.Equal(budget - expectedCompressed, tiers.Decompressed.Capacity);
        Assert.Equal(expectedCompressed > 0, tiers.Tiered);
        tiers.Resize(compressed / 100, raw / 100); // the tables shrank: back to decompressed only
        Assert.Equal(0, tiers.Compressed.Capacity);
        Assert.Equal(budget, tiers.Decompressed.Capacity);
    }

    [Fact]
    public void Budget_IncludesThePoolOfFreedArrays()
    {
        var tiers = new BlockCacheTiers(100L << 20, new BlockArrayPool(1 << 20));
        Assert.Equal(99L << 20, tiers.Decompressed.Capacity);
        tiers.Resize(300L << 20, 600L << 20);
        Assert.True(tiers.Tiered);
        Assert.Equal(99L << 20, tiers.Decompressed.Capacity + tiers.Compressed.Capacity);
    }

    [Fact]
    public void CompressedTiersShare_IncludesThePoolOfFreedBlocks()
    {
        var tiers = new BlockCacheTiers(100L << 20, new BlockArrayPool(1 << 20), new NativeBlockPool(2 << 20));
        Assert.Equal(99L << 20, tiers.Decompressed.Capacity); // not tiered: the pool holds nothing and costs nothing
        tiers.Resize(300L << 20, 600L << 20);
        Assert.True(tiers.Tiered);
        Assert.Equal(97L << 20, tiers.Decompressed.Capacity + tiers.Compressed.Capacity);
        Assert.Equal((99L << 20) - (99L << 20) / 10 - (2 << 20), tiers.Compressed.Capacity);
    }

    [Fact]
    public void Clear_FreesThePoolAndEveryBlock_OnceTheLastReaderLetsGo()
    {
        var pool = new NativeBlockPool(1 << 20);
        var tiers = new BlockCacheTiers(4L << 20, new BlockArrayPool(0), pool);
        tiers.Resize(64L << 20, 128L << 20);
        var slots = new BlockCache<CompressedBlock>.Slots(4000);
        var stored = new byte[3000];
        CompressedBlock? readerHeld = null;
        for (int i = 0; i < slots.Count; i++)
        {
            stored.AsSpan().Fill((byte)i);
            var block = new CompressedBlock(stored, 1, pool);
            tiers.Compressed.Insert(slots, i, block, block.Charge);
            if (i == slots.Count - 1) readerHeld = block; // its creator's pin kept, as a reader's hold
            else block.Unpin();
        }
        Assert.True(pool.Bytes > 0, "evictions should have filled the pool");
        Assert.True(pool.AllocatedBytes > pool.Bytes);

        tiers.Clear();

        Assert.Equal(0, pool.Bytes);
        Assert.Equal(readerHeld!.Charge - CompressedBlock.Overhead, pool.AllocatedBytes);
        Assert.True(readerHeld.Stored.SequenceEqual(stored));
        readerHeld.Unpin();
        Assert.Equal(0, pool.AllocatedBytes); // freed, not kept by the closed pool
        Assert.Equal(0, pool.Bytes);
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(512L * 1024, 128L * 1024)]
    [InlineData(2L << 20, 256L * 1024)]
    [InlineData(512L << 20, 8L << 20)]
    [InlineData(8L << 30, 8L << 20)]
    public void BlockArrayPoolCapacity_IsASmallShareOfTheCache(long cache, long expected)
        => Assert.Equal(expected, LatticeDb.BlockArrayPoolCapacity(cache));

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(2L << 20, 64L * 1024)]
    [InlineData(16L << 20, 256L * 1024)]
    [InlineData(512L << 20, 8L << 20)]
    [InlineData(8L << 30, 8L << 20)]
    public void CompressedBlockPoolCapacity_IsASmallerShareOfASmallCache(long cache, long expected)
        => Assert.Equal(expected, LatticeDb.CompressedBlockPoolCapacity(cache));

    [Fact]
    public void Close_DropsEveryBlock_AndFreesTheCompressedTiersMemory()
    {
        var db = OpenWithKeys(cacheBytes: 2 << 20);
        BlockCacheTiers tiers;
        List<CompressedBlock> held;
        try
        {
            db.Flush();
            db.WaitForCompactions();
            var rnd = new Random(TestSeed.Get(36));
            var buffer = new byte[256];
            for (int n = 0; n < 20_000; n++) Assert.True(db.TryGet(Key(rnd.Next(Keys)), buffer, out _));
            tiers = db.Tables.Options.Tiers!;
            held = [.. tiers.Compressed.HotEntries(long.MaxValue).Select(e => BlockCache<CompressedBlock>.Peek(e.Slots, e.Index)).OfType<CompressedBlock>()];
            Assert.True(held.Count > 0, "reads should leave blocks in the compressed tier");
            Assert.True(tiers.Compressed.Usage > 0);
        }
        finally
        {
            db.Dispose();
        }
        Assert.Equal(0, tiers.Compressed.Usage);
        Assert.Equal(0, tiers.Decompressed.Usage);
        Assert.All(held, b => Assert.True(b.IsReleased));
        Assert.Equal(0, tiers.Buffers.AllocatedBytes);
    }

    [Fact]
    public void DataLargerThanTheCache_ReadsHitTheCompressedTier_AndSeeEveryValue()
    {
        using var db = OpenWithKeys(cacheBytes: 2 << 20);
        db.Flush();
        db.WaitForCompactions();
        var stats = db.GetStatistics();
        Assert.True(stats["block.cache.compressed.capacity"] > 0, "the tables outgrow the cache: it should keep them compressed");

        int seed = TestSeed.Get(31);
        var rnd = new Random(seed);
        var buffer = new byte[256];
        for (int n = 0; n < 40_000; n++)
        {
            int k = rnd.Next(Keys);
            Assert.True(db.TryGet(Key(k), buffer, out int length), $"seed={seed}: key {k} missing");
            Assert.Equal(Value(k), buffer[..length]);
        }
        stats = db.GetStatistics();
        Assert.True(stats["block.cache.compressed.hits"] > 10_000, $"{stats["block.cache.compressed.hits"]} compressed hits");
        Assert.InRange(stats["block.cache.compressed.usage"], 1, stats["block.cache.compressed.capacity"]);
        using var it = db.NewIterator();
        int count = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), count++) Assert.Equal(Value(count), it.Value.ToArray());
        Assert.Equal(Keys, count);
    }

    [Fact]
    public void EvenlySpreadReads_PromoteFewBlocks_WhileAHotBlockIsStillPromoted()
    {
        using var db = OpenWithKeys(cacheBytes: 2 << 20);
        db.Flush();
        db.WaitForCompactions();
        int seed = TestSeed.Get(35);
        var rnd = new Random(seed);
        var buffer = new byte[256];
        for (int n = 0; n < 60_000; n++) Assert.True(db.TryGet(Key(rnd.Next(Keys)), buffer, out _));
        var stats = db.GetStatistics();
        long compressedHits = stats["block.cache.compressed.hits"];
        Assert.True(compressedHits > 10_000, $"seed={seed}: {compressedHits} compressed hits");
        // A block becomes a candidate on every third compressed hit: promoting each candidate
        // would promote about a third of the compressed hits, and the decompressed tier, far
        // smaller than the blocks read, would evict each before it is read again.
        Assert.True(stats["block.cache.compressed.promotions"] < compressedHits / 12,
            $"seed={seed}: {stats["block.cache.compressed.promotions"]} promotions for {compressedHits} compressed hits");

        // One key read over and over: its block moves up and is then read decompressed.
        long hits = stats["block.cache.hits"];
        for (int n = 0; n < 100; n++)
        {
            Assert.True(db.TryGet(Key(12_345), buffer, out int length));
            Assert.Equal(Value(12_345), buffer[..length]);
        }
        Assert.True(db.GetStatistics()["block.cache.hits"] - hits >= 50, $"seed={seed}: {db.GetStatistics()["block.cache.hits"] - hits} decompressed hits of 100 reads of one key");
    }

    [Fact]
    public void ConcurrentReaders_WhileCompressedEntriesAreEvictedAndReused_DeliverIntactValues()
    {
        using var db = OpenWithKeys(cacheBytes: 1 << 20);
        db.Flush();
        int seed = TestSeed.Get(32);
        var failures = new List<string>();
        using var threads = new TestThreads();
        threads.Start(3, "reader", t =>
        {
            var rnd = new Random(seed + t);
            var buffer = new byte[256];
            for (int n = 0; n < 40_000 * TestSeed.Scale; n++)
            {
                int k = rnd.Next(Keys);
                if (!db.TryGet(Key(k), buffer, out int length) || !buffer.AsSpan(0, length).SequenceEqual(Value(k)))
                    lock (failures) failures.Add($"key {k}");
            }
        });
        threads.JoinAndRethrow();
        Assert.True(failures.Count == 0, $"seed={seed}: {failures.Count} bad values, e.g. " + string.Join(", ", failures.Take(5)));
        Assert.True(db.GetStatistics()["block.cache.compressed.hits"] > 0);
    }

    [Fact]
    public void TieredCache_BlocksStoredUncompressed_AreCachedDecompressed()
    {
        using var db = OpenWithKeys(cacheBytes: 2 << 20);
        // Values that do not compress: their blocks are stored as they are, so the compressed
        // tier has nothing to keep of them.
        var rnd = new Random(TestSeed.Get(33));
        var random = new byte[100];
        for (int i = 0; i < 100; i++)
        {
            rnd.NextBytes(random);
            db.Put(B($"raw{i:D4}"), random);
        }
        db.Flush();
        db.WaitForCompactions();
        Assert.True(db.GetStatistics()["block.cache.compressed.capacity"] > 0, "the tables outgrow the cache: it should be tiered");

        var buffer = new byte[256];
        Assert.True(db.TryGet(B("raw0042"), buffer, out _));
        long hits = db.GetStatistics()["block.cache.hits"];
        Assert.True(db.TryGet(B("raw0042"), buffer, out _));
        Assert.Equal(hits + 1, db.GetStatistics()["block.cache.hits"]);
    }

    [Fact]
    public void IncompressibleTables_LeaveTheWholeBudgetToDecompressedBlocks()
    {
        using var db = OpenWithRandomValues(cacheBytes: 2 << 20, count: 60_000);
        var stats = db.GetStatistics();
        Assert.True(long.Parse(db.GetProperty("lattice.total-sst-files-size")!) > 4L << 20, "the tables should outgrow the cache");
        // Their blocks are stored raw and cached only decompressed: a compressed tier would never fill.
        Assert.Equal(0, stats["block.cache.compressed.capacity"]);
        Assert.Equal((2 << 20) - LatticeDb.BlockArrayPoolCapacity(2 << 20), stats["block.cache.capacity"]);
    }

    [Fact]
    public void MixedTables_CompressedTierSizedForTheCompressibleOnly()
    {
        // A budget the compressible tables' stored size fits in nine tenths of, with room to spare.
        using var db = OpenWithKeys(cacheBytes: 6 << 20);
        var raw = db.CreateColumnFamily("raw", new ColumnFamilyOptions());
        WriteRandomValues(db, raw, 60_000);
        db.Flush();
        db.WaitForCompactions();
        long compressible = long.Parse(db.GetProperty("lattice.total-sst-files-size")!);
        long incompressible = long.Parse(db.GetProperty(raw, "lattice.total-sst-files-size")!);
        Assert.True(incompressible > compressible, $"{incompressible} bytes of random values, {compressible} compressible");
        long capacity = db.GetStatistics()["block.cache.compressed.capacity"];
        // Counting the random values too would give the compressed tier nine tenths of the budget.
        Assert.InRange(capacity, 1, compressible + compressible / 16);
    }

    private const int Keys = 60_000; // about 7 MB of blocks decompressed, 3.5 MB stored

    /// <summary>An in-memory database with a small write buffer and <paramref name="cacheBytes"/> of block cache, holding <see cref="Keys"/> keys.</summary>
    private static LatticeDb OpenWithKeys(long cacheBytes)
    {
        var options = MemOptions(new MemFileSystem(), o =>
        {
            o.WriteBufferSize = 512 * 1024;
            o.BlockCacheCapacity = cacheBytes;
        });
        var db = LatticeDb.Open(DbPath, options);
        for (int i = 0; i < Keys; i++) db.Put(Key(i), Value(i));
        return db;
    }

    /// <summary>An in-memory database holding <paramref name="count"/> keys with random 100-byte values, flushed and compacted.</summary>
    private static LatticeDb OpenWithRandomValues(long cacheBytes, int count)
    {
        var db = LatticeDb.Open(DbPath, MemOptions(new MemFileSystem(), o =>
        {
            o.WriteBufferSize = 512 * 1024;
            o.BlockCacheCapacity = cacheBytes;
        }));
        WriteRandomValues(db, db.DefaultColumnFamily, count);
        db.Flush();
        db.WaitForCompactions();
        return db;
    }

    private static void WriteRandomValues(LatticeDb db, ColumnFamilyHandle family, int count)
    {
        var rnd = new Random(TestSeed.Get(34));
        var value = new byte[100];
        for (int i = 0; i < count; i++)
        {
            rnd.NextBytes(value);
            db.Put(family, Key(i), value);
        }
    }

    private static byte[] Key(int i) => B($"key{i:D8}");

    private static byte[] Value(int i) => B($"{i:D8}:" + new string((char)('a' + i % 26), 60) + new string('z', 40));
}
