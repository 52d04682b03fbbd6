using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// The blob value cache seen from the database (<see cref="DbOptions.CacheBlobValues"/>): a value
/// read again comes from the cache, reads that do not fill the cache leave it alone, a small
/// cache evicts, and the option turns it off.
/// </summary>
public sealed class BlobValueCacheDbTests
{
    private const int Threshold = 1000;

    private static readonly byte[] Stored = LargeValueCompressionTests.Text(5000, 1);

    private static DbOptions Options(Action<DbOptions>? configure = null)
    {
        var o = new DbOptions { CacheBlobValues = true, DefaultColumnFamilyOptions = new ColumnFamilyOptions { BlobValueThreshold = Threshold } };
        configure?.Invoke(o);
        return o;
    }

    /// <summary>A database whose key "k" holds <see cref="Stored"/> in a blob file.</summary>
    private static LatticeDb OpenWithOneBlobValue(TempDir dir, DbOptions options)
    {
        var db = LatticeDb.Open(dir.Path, options);
        db.Put(B("k"), Stored);
        db.Flush();
        return db;
    }

    private static (long Hits, long Misses, long FileBytes) Counters(LatticeDb db)
    {
        var s = db.GetStatistics();
        return (s["blob.cache.hits"], s["blob.cache.misses"], s["blob.record-bytes.read"]);
    }

    [Fact]
    public void Get_SecondRead_IsCacheHitWithoutFileRead()
    {
        using var dir = new TempDir("blob-cache-hit");
        using var db = OpenWithOneBlobValue(dir, Options());

        Assert.Equal(Stored, db.Get(B("k")));
        var afterFirst = Counters(db);
        Assert.Equal(Stored, db.Get(B("k")));
        using (var it = db.NewIterator())
        {
            it.SeekToFirst();
            Assert.Equal(Stored, it.Value.ToArray());
        }
        var afterMore = Counters(db);

        Assert.Equal((0L, 1L), (afterFirst.Hits, afterFirst.Misses));
        Assert.True(afterFirst.FileBytes > 0);
        Assert.Equal((2L, 1L), (afterMore.Hits, afterMore.Misses));
        Assert.Equal(afterFirst.FileBytes, afterMore.FileBytes);
    }

    [Fact]
    public void Get_FillCacheOff_FindsNothingAddedAndAddsNothing()
    {
        using var dir = new TempDir("blob-cache-nofill");
        using var db = OpenWithOneBlobValue(dir, Options());
        var noFill = new ReadOptions { FillCache = false };

        Assert.Equal(Stored, db.Get(B("k"), noFill));
        Assert.Equal(Stored, db.Get(B("k"), noFill));
        Assert.Equal((0L, 2L), (Counters(db).Hits, Counters(db).Misses));
        Assert.Equal(Stored, db.Get(B("k")));
        Assert.Equal(Stored, db.Get(B("k"), noFill));
        Assert.Equal(1, Counters(db).Hits);
    }

    [Fact]
    public void Get_SmallCache_EvictsAndStaysWithinCapacity()
    {
        const long capacity = 1 << 20;
        const int count = 100, size = 20_000;
        using var dir = new TempDir("blob-cache-evict");
        using var db = LatticeDb.Open(dir.Path, Options(o => o.BlockCacheCapacity = capacity));
        for (int i = 0; i < count; i++) db.Put(B($"k{i:D3}"), LargeValueCompressionTests.Text(size, i));
        db.Flush();

        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < count; i++) Assert.Equal(LargeValueCompressionTests.Text(size, i), db.Get(B($"k{i:D3}")));

        var (hits, misses, _) = Counters(db);
        Assert.Equal(2 * count, hits + misses);
        // Two megabytes of values through a one-megabyte cache: the second pass misses some.
        Assert.True(misses > count, $"{misses} misses");
        Assert.InRange(db.GetStatistics()["block.cache.usage"], 1, capacity);
    }

    [Fact]
    public void CacheBlobValues_DefaultsOff() => Assert.False(new DbOptions().CacheBlobValues);

    [Fact]
    public void Get_CacheBlobValuesOff_ReadsTheFileEachTime()
    {
        using var dir = new TempDir("blob-cache-off");
        using var db = OpenWithOneBlobValue(dir, Options(o => o.CacheBlobValues = false));

        Assert.Equal(Stored, db.Get(B("k")));
        long once = Counters(db).FileBytes;
        Assert.Equal(Stored, db.Get(B("k")));

        Assert.Equal((0L, 0L), (Counters(db).Hits, Counters(db).Misses));
        Assert.Equal(2 * once, Counters(db).FileBytes);
    }
}
