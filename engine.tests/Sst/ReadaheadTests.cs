using System.Text;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

public class ReadaheadTests
{
    private static DbOptions Options(long readahead, byte[]? encryptionKey = null) => new()
    {
        BlockCacheCapacity = 16 << 20,
        ReadaheadMaxBytes = readahead,
        Preload = new PreloadOptions { Enabled = false },
        Encryption = encryptionKey is null ? null : EncryptionOptions.FromKey(encryptionKey),
        DefaultColumnFamilyOptions = new ColumnFamilyOptions { BlockSize = 1024, Encrypted = encryptionKey is not null },
    };

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"k{i:D7}");

    private static void Fill(string path, int count, int seed, byte[]? encryptionKey = null)
    {
        var random = new Random(seed);
        using var db = LatticeDb.Open(path, Options(0, encryptionKey));
        for (int i = 0; i < count; i++)
        {
            var value = new byte[40 + random.Next(120)];
            random.NextBytes(value);
            db.Put(Key(i), value);
            if (i % 7 == 3) db.Delete(Key(i - 1));
            if (i == count / 2) db.Flush(); // two tables: the iterator crosses from one to the other's blocks
        }
        db.Flush();
    }

    private static long Stat(LatticeDb db, string name) => db.GetStatistics()[name];

    [Fact]
    public void Scan_LongAndCold_ReadaheadBlocksAreUsed()
    {
        using var dir = new TempDir();
        Fill(dir.Path, 6000, TestSeed.Get(221));
        using var db = LatticeDb.Open(dir.Path, Options(64 * 1024));
        var warmer = db.Anticipation!.Warmer!;
        int n = 0;
        using (var it = db.NewIterator())
            for (it.SeekToFirst(); it.Valid; it.Next())
                if (++n % 40 == 0) warmer.WaitIdle(); // lets the background loads land before the scan reaches them
        Assert.True(Stat(db, "cache.readahead.issued") > 10, $"issued {Stat(db, "cache.readahead.issued")}");
        Assert.True(Stat(db, "cache.readahead.used") > 10, $"used {Stat(db, "cache.readahead.used")}");
    }

    [Fact]
    public void Scan_ReadaheadOff_IssuesNothing()
    {
        using var dir = new TempDir();
        Fill(dir.Path, 3000, TestSeed.Get(222));
        using var db = LatticeDb.Open(dir.Path, Options(0));
        Assert.Null(db.Anticipation!.Warmer);
        using (var it = db.NewIterator())
            for (it.SeekToFirst(); it.Valid; it.Next()) { }
        Assert.Equal(0, Stat(db, "cache.readahead.issued"));
    }

    [Fact]
    public void Seek_AfterSequentialBlocks_ResetsWindow()
    {
        using var dir = new TempDir();
        Fill(dir.Path, 6000, TestSeed.Get(223));
        using var db = LatticeDb.Open(dir.Path, Options(1 << 20));
        long table = Directory.GetFiles(dir.Path, "*.sst").Select(f => long.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Max();
        using var lease = db.Tables.Acquire(table);
        using var it = (TableIterator)lease.Reader.NewIterator(fillCache: true);
        var readahead = it.Readahead!;
        it.SeekToFirst();
        for (int i = 0; i < 600 && it.Valid; i++) it.Next();
        Assert.True(readahead.WindowBlocks > 4, $"window {readahead.WindowBlocks} did not grow over a sequential scan");
        // A seek resets the window even when it lands in the block the iterator is in.
        it.Seek(it.Key.ToArray());
        Assert.True(it.Valid);
        Assert.Equal(2, readahead.WindowBlocks);
        for (int i = 0; i < 600 && it.Valid; i++) it.Next();
        Assert.True(readahead.WindowBlocks > 4, $"window {readahead.WindowBlocks} did not grow again after the seek");
        it.Seek(LatticeKV.Keys.InternalKey.Create(Key(4500), LatticeKV.Keys.InternalKey.MaxSequence, LatticeKV.Keys.ValueKinds.ForSeek));
        Assert.True(it.Valid);
        Assert.Equal(2, readahead.WindowBlocks);
        // Backward too: the window grows again moving the other way.
        for (int i = 0; i < 600 && it.Valid; i++) it.Prev();
        Assert.True(readahead.WindowBlocks > 4, $"window {readahead.WindowBlocks} did not grow over a backward scan");
        db.Anticipation!.Warmer!.WaitIdle();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Iteration_WithReadahead_SameAsWithout(bool encrypted)
    {
        int seed = TestSeed.Get(224);
        byte[]? key = encrypted ? Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 1)).ToArray() : null;
        using var dir = new TempDir();
        Fill(dir.Path, 5000, seed, key);
        List<string> Walk(long readahead)
        {
            var seen = new List<string>();
            var random = new Random(seed);
            using var db = LatticeDb.Open(dir.Path, Options(readahead, key));
            using var it = db.NewIterator();
            for (it.SeekToFirst(); it.Valid; it.Next()) seen.Add(Convert.ToHexString(it.Key) + Convert.ToHexString(it.Value));
            for (it.SeekToLast(); it.Valid; it.Prev()) seen.Add(Convert.ToHexString(it.Key));
            for (int round = 0; round < 50; round++)
            {
                it.Seek(Key(random.Next(5000)));
                bool forward = random.Next(2) == 0;
                for (int step = 0; step < 200 && it.Valid; step++)
                {
                    seen.Add(Convert.ToHexString(it.Key) + Convert.ToHexString(it.Value));
                    if (forward) it.Next(); else it.Prev();
                }
            }
            if (readahead > 0)
            {
                // Asked for, not issued: the warmer skips blocks the walk cached before it got to
                // them, which a busy machine makes every one of them.
                Assert.True(db.Anticipation!.Warmer!.RequestedBlocks > 0, "no readahead requested");
            }
            return seen;
        }
        Assert.Equal(Walk(0), Walk(256 * 1024));
    }
}
