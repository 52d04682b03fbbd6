using System.Text;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// A merging iterator prepares its children's seeks in stages (<see cref="InternalIterator.PrepareSeek"/>)
/// before seeking them; a table iterator then finishes the seek from what it prepared. These
/// tests hold the prepared path to the answers of a sorted list and of unprepared seeks.
/// </summary>
public class StagedSeekTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    private static byte[] UserKey(int i) => Encoding.UTF8.GetBytes($"user{i * 2:D7}");

    /// <summary>Three tables of small blocks: table t holds every key i with i % 3 == t, and table 0 also newer versions of every 7th key.</summary>
    private static (MemFileSystem Fs, List<byte[]> Sorted) BuildTables(int keys)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        var all = new List<byte[]>();
        for (int t = 0; t < 3; t++)
        {
            var builder = new TableBuilder(fs.CreateWritable($"/t/{t + 1:D6}.sst"), new TableBuilderOptions(Cmp, 256, 4, CompressionType.Snappy, 10));
            for (int i = 0; i < keys; i++)
            {
                bool newer = t == 0 && i % 7 == 0;
                if (i % 3 != t && !newer) continue;
                if (newer)
                {
                    var key = InternalKey.Create(UserKey(i), (ulong)(keys + i + 1), ValueKind.Value);
                    builder.Add(key, UserKey(i));
                    all.Add(key);
                }
                if (i % 3 == t)
                {
                    var key = InternalKey.Create(UserKey(i), (ulong)(i + 1), ValueKind.Value);
                    builder.Add(key, UserKey(i));
                    all.Add(key);
                }
            }
            builder.Finish();
            builder.Dispose();
        }
        all.Sort((a, b) => Cmp.Compare(a, b));
        return (fs, all);
    }

    private static List<TableReader> Open(MemFileSystem fs, params BlockCache<Block>?[] caches)
        => [.. caches.Select((cache, t) => TableReader.Open(fs.OpenRead($"/t/{t + 1:D6}.sst"), t + 1, new TableReaderOptions(Cmp, cache, false)))];

    /// <summary>Index of the first key at or after <paramref name="target"/> in <paramref name="sorted"/>.</summary>
    private static int LowerBound(List<byte[]> sorted, byte[] target)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Cmp.Compare(sorted[mid], target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    [Fact]
    public void MergingSeek_OverTablesCachedAndNot_LandsWhereASortedListSays()
        => RandomSeeks(20261126, (merged, sorted, target, round) =>
        {
            merged.Seek(target);
            int expected = LowerBound(sorted, target);
            for (int step = 0; step < 5 && expected + step < sorted.Count; step++)
            {
                Assert.True(merged.Valid, $"round {round}: ended early");
                Assert.Equal(sorted[expected + step], merged.Key.ToArray());
                merged.Next();
            }
            if (expected + 5 > sorted.Count) Assert.False(merged.Valid);
            // Turning back after a prepared seek: the entry before the target.
            merged.Seek(target);
            if (merged.Valid && expected > 0)
            {
                merged.Prev();
                Assert.Equal(sorted[expected - 1], merged.Key.ToArray());
            }
        });

    [Fact]
    public void MergingSeekForPrev_OverTablesCachedAndNot_LandsWhereASortedListSays()
        => RandomSeeks(20261206, (merged, sorted, target, round) =>
        {
            merged.SeekForPrev(target);
            // The last entry at or before the target.
            int at = LowerBound(sorted, target);
            int expected = at < sorted.Count && Cmp.Compare(sorted[at], target) == 0 ? at : at - 1;
            for (int step = 0; step < 5 && expected - step >= 0; step++)
            {
                Assert.True(merged.Valid, $"round {round}: ended early");
                Assert.Equal(sorted[expected - step], merged.Key.ToArray());
                merged.Prev();
            }
            if (expected < 4) Assert.False(merged.Valid);
            // Turning forward after a prepared SeekForPrev: the entry after the one found.
            merged.SeekForPrev(target);
            if (merged.Valid && expected + 1 < sorted.Count)
            {
                merged.Next();
                Assert.Equal(sorted[expected + 1], merged.Key.ToArray());
            }
        });

    /// <summary>
    /// 3,000 rounds of <paramref name="check"/> (the merging iterator, every entry sorted, a random
    /// target, the round) over three tables: one behind a cache too small for every block (hits
    /// and misses mix), one behind a roomy cache, one without a cache.
    /// </summary>
    private static void RandomSeeks(int seed, Action<MergingIterator, List<byte[]>, byte[], int> check)
    {
        const int keys = 3000;
        var (fs, sorted) = BuildTables(keys);
        var tables = Open(fs, new BlockCache<Block>(16 * 1024), new BlockCache<Block>(1 << 20), null);
        try
        {
            Assert.All(tables, t => Assert.True(t.Fences.Count > 20));
            using var merged = new MergingIterator(Cmp, tables.Select(t => t.NewIterator(true)));
            var rnd = new Random(seed);
            for (int round = 0; round < 3000; round++) check(merged, sorted, RandomTarget(rnd, round, keys), round);
        }
        finally
        {
            foreach (var t in tables) t.Dispose();
        }
    }

    /// <summary>Keys present (at their newest, an older or a too-old sequence), gaps between keys, and both ends.</summary>
    private static byte[] RandomTarget(Random rnd, int round, int keys)
    {
        int i = rnd.Next(-2, keys + 2);
        byte[] user = round % 4 == 3 ? [.. UserKey(i), (byte)'x'] : i < 0 ? "a"u8.ToArray() : i >= keys ? "z"u8.ToArray() : UserKey(i);
        return InternalKey.Create(user, (ulong)rnd.Next(0, 2 * keys + 2), ValueKinds.ForSeek);
    }

    private static byte[] SeekKey(int i) => InternalKey.Create(UserKey(i), InternalKey.MaxSequence, ValueKinds.ForSeek);

    private static void Prepare(InternalIterator it, byte[] target)
    {
        for (int stage = 0; stage < InternalIterator.SeekStages; stage++) it.PrepareSeek(target, stage);
    }

    /// <summary>The first of three tables with every block cached, and an iterator over it.</summary>
    private static (TableReader Table, InternalIterator It) CachedTable()
    {
        var table = Open(BuildTables(3000).Fs, new BlockCache<Block>(1 << 20))[0];
        return (table, table.NewIterator(true));
    }

    [Fact]
    public void TableSeek_AfterAPreparedSeek_UnpreparedSeeksStillSearch()
    {
        var (table, it) = CachedTable();
        using (table)
        using (it)
        {
            Prepare(it, SeekKey(2700));
            it.Seek(SeekKey(2700));
            Assert.Equal(UserKey(2700), InternalKey.UserKey(it.Key).ToArray());
            // The prepared block and restart were used once: a plain seek elsewhere must not reuse them.
            it.Seek(SeekKey(3));
            Assert.Equal(UserKey(3), InternalKey.UserKey(it.Key).ToArray());
            it.Next();
            Assert.Equal(UserKey(6), InternalKey.UserKey(it.Key).ToArray());
        }
    }

    [Fact]
    public void TableSeek_ToAnotherTargetThanPrepared_IgnoresThePreparation()
    {
        // A merging iterator interrupted by an exception between preparing and seeking, or turning
        // from backward to forward, seeks children that hold a preparation for an older target.
        var (table, it) = CachedTable();
        using (table)
        using (it)
        {
            Prepare(it, SeekKey(2700));
            it.Seek(SeekKey(300));
            Assert.Equal(UserKey(300), InternalKey.UserKey(it.Key).ToArray());
            // Moving in between does not spoil a preparation for the target finally sought.
            Prepare(it, SeekKey(2700));
            it.SeekToFirst();
            it.Next();
            it.Seek(SeekKey(2700));
            Assert.Equal(UserKey(2700), InternalKey.UserKey(it.Key).ToArray());
        }
    }

    [Fact]
    public void MergingSeek_DamagedBlockFoundWhilePreparing_ThrowsCorruptionNamingTheTable()
    {
        var (fs, _) = BuildTables(3000);
        const string damagedPath = "/t/000002.sst";
        var contents = fs.GetContents(damagedPath).ToArray();
        // Damage the middle of the data blocks; the index and footer at the end stay readable.
        for (int at = contents.Length / 4; at < contents.Length / 2; at += 97) contents[at] ^= 0x5A;
        fs.SetContents(damagedPath, contents);
        var tables = Open(fs, null, null, null);
        try
        {
            using var merged = new MergingIterator(Cmp, tables.Select(t => t.NewIterator(false)));
            var rnd = new Random(7);
            CorruptionException? seen = null;
            for (int round = 0; round < 2000 && seen is null; round++)
            {
                try
                {
                    merged.Seek(InternalKey.Create(UserKey(rnd.Next(3000)), InternalKey.MaxSequence, ValueKinds.ForSeek));
                }
                catch (CorruptionException ex)
                {
                    seen = ex;
                }
            }
            Assert.NotNull(seen);
            Assert.Equal(damagedPath, seen.FilePath);
        }
        finally
        {
            foreach (var t in tables) t.Dispose();
        }
    }
}
