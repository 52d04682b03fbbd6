using System.Globalization;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Compaction;

public class CompactionShapeTests(ITestOutputHelper output)
{
    [Fact]
    public void Writes_TenTimesTheWriteBuffer_MemoryBoundedAndLevelsWithinTargets()
    {
        using var dir = new TempDir();
        const long writeBuffer = 256 * 1024;
        var options = new DbOptions
        {
            WriteBufferSize = writeBuffer,
            MaxWriteBufferNumber = 2,
            MaxBytesForLevelBase = 512 * 1024,
            MaxBytesForLevelMultiplier = 4,
            TargetFileSizeBase = 128 * 1024,
            Level0FileNumCompactionTrigger = 2,
        };
        using var db = LatticeDb.Open(dir.Path, options);
        var rnd = new Random(TestSeed.Get(9));
        var value = new byte[100];
        long written = 0, maxMem = 0;
        int i = 0;
        while (written < 10 * writeBuffer * 4) // 40 memtables' worth of user data
        {
            rnd.NextBytes(value.AsSpan(50));
            db.Put(B($"key{rnd.Next(200_000):D7}"), value);
            written += 110;
            if (++i % 500 == 0) maxMem = Math.Max(maxMem, Long(db.GetProperty("lattice.cur-size-all-mem-tables")));
        }
        db.WaitForCompactions();
        output.WriteLine(db.GetProperty("lattice.levelstats"));
        output.WriteLine($"max memtable memory {maxMem}, written {written}");
        // Memtables: the active one may overshoot by one arena chunk before it switches.
        Assert.True(maxMem <= writeBuffer * options.MaxWriteBufferNumber + writeBuffer / 8, $"memtables reached {maxMem} bytes");
        Assert.True(Long(db.GetProperty("lattice.num-files-at-level0")) < options.Level0FileNumCompactionTrigger);
        int deepest = Enumerable.Range(0, 7).Last(l => Long(db.GetProperty($"lattice.num-files-at-level{l}")) > 0);
        Assert.True(deepest >= 2, "data should have reached level 2");
        for (int level = 1; level < deepest; level++)
        {
            long target = (long)(options.MaxBytesForLevelBase * Math.Pow(options.MaxBytesForLevelMultiplier, level - 1));
            long actual = Long(db.GetProperty($"lattice.level-bytes-at-level{level}"));
            Assert.True(actual <= target, $"level {level} holds {actual} bytes, target {target}");
        }
    }

    [Fact]
    public void DeletingEveryKey_CompactionReclaimsTheSpace_TombstonesWeighedByTheValuesTheyDrop()
    {
        using var dir = new TempDir();
        var options = new DbOptions
        {
            WriteBufferSize = 64 * 1024,
            MaxBytesForLevelBase = 512 * 1024,
            TargetFileSizeBase = 64 * 1024,
        };
        using var db = LatticeDb.Open(dir.Path, options);
        var rnd = new Random(TestSeed.Get(21));
        const int keys = 40_000;
        var order = Enumerable.Range(0, keys).ToArray();
        rnd.Shuffle(order);
        var value = new byte[100];
        foreach (int k in order)
        {
            rnd.NextBytes(value.AsSpan(50));
            db.Put(B($"key{k:D7}"), value);
        }
        db.Flush();
        db.WaitForCompactions();
        long filled = Long(db.GetProperty("lattice.total-sst-files-size"));
        output.WriteLine(db.GetProperty("lattice.levelstats"));

        rnd.Shuffle(order);
        foreach (int k in order) db.Delete(B($"key{k:D7}"));
        db.Flush();
        db.WaitForCompactions();
        long left = Long(db.GetProperty("lattice.total-sst-files-size"));
        output.WriteLine(db.GetProperty("lattice.levelstats"));
        output.WriteLine($"table bytes filled {filled}, after deleting every key {left}");
        // Tombstones left in level 1 over data in level 2 keep both: a tombstone must weigh what
        // its compaction frees (a value), not its own few bytes, for compaction to reach them.
        Assert.True(left <= filled / 5, $"{left} table bytes left of {filled} after deleting every key");
        using var it = db.NewIterator();
        it.SeekToFirst();
        Assert.False(it.Valid);
    }

    [Fact]
    public void CompactRange_WholeKeySpace_LeavesOneLevelAndDropsObsoleteData()
    {
        using var dir = new TempDir();
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 64 * 1024, MaxBytesForLevelBase = 256 * 1024, TargetFileSizeBase = 64 * 1024 });
        var value = new byte[100];
        for (int round = 0; round < 5; round++)
            for (int k = 0; k < 4000; k++) db.Put(B($"k{k:D5}"), value);
        for (int k = 0; k < 4000; k += 2) db.Delete(B($"k{k:D5}"));
        db.CompactRange();
        var levels = Enumerable.Range(0, 7).Where(l => Long(db.GetProperty($"lattice.num-files-at-level{l}")) > 0).ToList();
        Assert.Single(levels);
        long size = Long(db.GetProperty("lattice.total-sst-files-size"));
        Assert.True(size < 2000 * 120, $"{size} bytes remain for 2000 live keys");
        Assert.Equal("2000", db.GetProperty("lattice.estimate-num-keys"));
    }

    private static long Long(string? s) => long.Parse(s!, CultureInfo.InvariantCulture);

    [Fact]
    public void CompactRange_ToTheBottom_ZeroesSequencesEverySnapshotSeesAndKeepsTheRest()
    {
        var fs = new LatticeKV.Io.MemFileSystem();
        var db = LatticeDb.Open(DbPath, MemOptions(fs));
        for (int i = 0; i < 100; i++) db.Put(B($"k{i:D3}"), B("v1"));
        db.Flush();
        var snap = db.GetSnapshot();
        for (int i = 0; i < 50; i++) db.Put(B($"k{i:D3}"), B("v2"));
        db.Flush();
        db.CompactRange(); // two level-0 tables merge into level 1, the bottom

        var entries = new List<(string Key, ulong Seq)>();
        var cmp = new LatticeKV.Keys.InternalKeyComparator(KeyComparator.Bytewise);
        foreach (var name in fs.ListFiles(DbPath).Where(n => n.EndsWith(".sst", StringComparison.Ordinal)))
        {
            using var reader = LatticeKV.Sst.TableReader.Open(fs.OpenRead(Path.Combine(DbPath, name)), 1, new LatticeKV.Sst.TableReaderOptions(cmp, null, false));
            using var it = reader.NewIterator(false);
            for (it.SeekToFirst(); it.Valid; it.Next())
                entries.Add((S(LatticeKV.Keys.InternalKey.UserKey(it.Key).ToArray())!, LatticeKV.Keys.InternalKey.Sequence(it.Key)));
        }
        // Below the snapshot, every key's newest version is seen by everyone: sequence 0.
        // Above it (the overwrites of k000..k049), sequences stay: the snapshot must not see them.
        Assert.Equal(150, entries.Count);
        for (int i = 0; i < 100; i++)
        {
            var versions = entries.Where(e => e.Key == $"k{i:D3}").Select(e => e.Seq).ToList();
            if (i < 50)
            {
                Assert.Equal(2, versions.Count);
                Assert.True(versions[0] > 100, $"k{i:D3} newest version kept its sequence");
                Assert.Equal(0UL, versions[1]);
            }
            else
            {
                Assert.Equal([0UL], versions);
            }
        }
        Assert.Equal("v1", S(db.Get(B("k007"), new ReadOptions { Snapshot = snap })));
        Assert.Equal("v2", S(db.Get(B("k007"))));
        Assert.Equal("v1", S(db.Get(B("k077"))));
        snap.Dispose();
        db.Dispose();

        using var reopened = LatticeDb.Open(DbPath, MemOptions(fs));
        Assert.Equal("v2", S(reopened.Get(B("k007"))));
        Assert.Equal("v1", S(reopened.Get(B("k077"))));
        // A newer write still shadows a zeroed one.
        reopened.Put(B("k077"), B("v3"));
        reopened.Flush();
        Assert.Equal("v3", S(reopened.Get(B("k077"))));
    }
}
