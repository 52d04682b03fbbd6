using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// Blob garbage collection while writes stop (LatticeDb.BlobCollection): a blob file whose
/// garbage passed its family's ratio is collected by the background thread without another
/// write or a CompactRange, also after a reopen, and reads stay correct (the blob value cache
/// never serves a value of a rewritten or deleted file).
/// </summary>
public sealed class BlobGarbageCollectionTests
{
    private const int Threshold = 1000;
    private const int Keys = 40;
    private const int Overwritten = 30;
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private static DbOptions Options(double ratio) => new()
    {
        // Two flushes make one compaction, which finds the garbage and then has nothing left to do.
        Level0FileNumCompactionTrigger = 2,
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { BlobValueThreshold = Threshold, BlobGarbageCollectionRatio = ratio },
    };

    private static byte[] Value(int seed) => LargeValueCompressionTests.Text(5000, seed);

    private static string[] BlobFiles(string path) => [.. Directory.GetFiles(path, "*.blob").Select(System.IO.Path.GetFileName).Order()!];

    private static long BlobBytesOnDisk(string path) => Directory.GetFiles(path, "*.blob").Sum(f => new FileInfo(f).Length);

    private static byte[] Expected(int i) => i < Overwritten ? Value(100 + i) : Value(i);

    /// <summary>Writes every key, reads it (so the blob value cache holds the first file's values), overwrites most; returns the first blob file.</summary>
    private static string WriteThenOverwriteMost(LatticeDb db, string path)
    {
        for (int i = 0; i < Keys; i++) db.Put(B($"k{i:D2}"), Value(i));
        db.Flush();
        for (int i = 0; i < Keys; i++) Assert.Equal(Value(i), db.Get(B($"k{i:D2}")));
        string first = BlobFiles(path).Single();
        for (int i = 0; i < Overwritten; i++) db.Put(B($"k{i:D2}"), Value(100 + i));
        db.Flush();
        return first;
    }

    /// <summary>Waits for the database's condition (no flush, compaction or collection left), failing after a bound.</summary>
    private static Task WaitForBackgroundWork(LatticeDb db) => Task.Run(db.WaitForCompactions).WaitAsync(Bound);

    private static void AssertValues(LatticeDb db)
    {
        for (int i = 0; i < Keys; i++) Assert.Equal(Expected(i), db.Get(B($"k{i:D2}")));
        using var it = db.NewIterator();
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), n++) Assert.Equal(Expected(n), it.Value.ToArray());
        Assert.Equal(Keys, n);
    }

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(1.0, false)]
    public async Task WritesStop_GarbageRatio_BackgroundCollectsFileOnlyWhenReached(double ratio, bool collected)
    {
        using var dir = new TempDir("blob-idle-gc");
        using var db = LatticeDb.Open(dir.Path, Options(ratio));

        string first = WriteThenOverwriteMost(db, dir.Path);
        await WaitForBackgroundWork(db);

        AssertValues(db);
        var stats = db.GetStatistics();
        if (!collected)
        {
            // Ratio 1 copies nothing: the garbage is counted and stays.
            Assert.Contains(first, BlobFiles(dir.Path));
            Assert.Equal(0, stats["blob.gc.runs"]);
            return;
        }
        Assert.DoesNotContain(first, BlobFiles(dir.Path));
        Assert.Equal("0", db.GetProperty("lattice.blob.garbage-size"));
        Assert.True(stats["blob.gc.runs"] >= 1, $"{stats["blob.gc.runs"]} garbage collections");
        Assert.True(stats["blob.gc.bytes-rewritten"] > 0);
        // What is left on disk is live, and less than was ever written to blob files.
        Assert.Equal(db.GetProperty("lattice.blob.total-size"), BlobBytesOnDisk(dir.Path).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(BlobBytesOnDisk(dir.Path) < stats["blob.bytes.written"]);
        db.VerifyChecksums();
    }

    [Fact]
    public async Task Reopen_RecoveredTablesReferToDueFile_LearnsReferencesAndCollects()
    {
        using var dir = new TempDir("blob-idle-gc-reopen");
        string first;
        using (var db = LatticeDb.Open(dir.Path, Options(1)))
        {
            first = WriteThenOverwriteMost(db, dir.Path);
            await WaitForBackgroundWork(db);
            // Ratio 1 copies nothing: the garbage is counted and stays.
            Assert.Contains(first, BlobFiles(dir.Path));
            Assert.NotEqual("0", db.GetProperty("lattice.blob.garbage-size"));
        }
        using (var db = LatticeDb.Open(dir.Path, Options(0.5)))
        {
            await WaitForBackgroundWork(db);
            Assert.DoesNotContain(first, BlobFiles(dir.Path));
            Assert.Equal("0", db.GetProperty("lattice.blob.garbage-size"));
            AssertValues(db);
        }
    }

    [Fact]
    public async Task Close_WhileCollectionMayRun_ClosesAndKeepsEveryValue()
    {
        using var dir = new TempDir("blob-idle-gc-close");
        using (var db = LatticeDb.Open(dir.Path, Options(1)))
        {
            WriteThenOverwriteMost(db, dir.Path);
            await WaitForBackgroundWork(db);
        }
        // Closed at once: the collection is cancelled wherever it is, its partial output discarded.
        LatticeDb.Open(dir.Path, Options(0.5)).Dispose();
        using var reopened = LatticeDb.Open(dir.Path, Options(1));
        AssertValues(reopened);
        reopened.VerifyChecksums();
    }
}
