using System.Text;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Manifest;

/// <summary>
/// A level iterator walks a level's tables as one sequence. Moving to another table (a seek that
/// lands in another file, or a step past a table's end) points the table iterator it already has
/// at the new table instead of making one, so it must read exactly what a fresh one would.
/// </summary>
public sealed class LevelIteratorTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);
    private const int Tables = 5;
    private const int KeysPerTable = 400;

    private static byte[] UserKey(int i) => Encoding.UTF8.GetBytes($"key{i:D6}");

    private static byte[] ValueOf(int i) => Encoding.UTF8.GetBytes($"value-{i}-{new string('v', i % 37)}");

    /// <summary>A level of <see cref="Tables"/> tables holding keys 0, 2, 4, ... (odd keys are gaps), small blocks.</summary>
    private static (TableCache Cache, List<FileMetaData> Files) Level()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/db");
        var files = new List<FileMetaData>();
        for (int t = 0; t < Tables; t++)
        {
            string path = FileNames.Table("/db", t + 1);
            using (var builder = new TableBuilder(fs.CreateWritable(path), new TableBuilderOptions(Cmp, 256, 16, CompressionType.Snappy, 10)))
            {
                for (int i = t * KeysPerTable; i < (t + 1) * KeysPerTable; i++)
                    builder.Add(InternalKey.Create(UserKey(2 * i), (ulong)(i + 1), ValueKind.Value), ValueOf(2 * i));
                builder.Finish();
            }
            int first = 2 * t * KeysPerTable, last = 2 * ((t + 1) * KeysPerTable - 1);
            files.Add(new FileMetaData
            {
                Number = t + 1,
                FileSize = fs.GetFileSize(path),
                Smallest = InternalKey.Create(UserKey(first), (ulong)(first / 2 + 1), ValueKind.Value),
                Largest = InternalKey.Create(UserKey(last), (ulong)(last / 2 + 1), ValueKind.Value),
            });
        }
        return (new TableCache(fs, "/db", new TableReaderOptions(Cmp, new BlockCache<Block>(1 << 20), false), 16), files);
    }

    [Fact]
    public void SeeksAcrossTables_ReuseOneTableIterator_AndReadWhatAFreshOneReads()
    {
        var (cache, files) = Level();
        using var level = new LevelIterator(cache, Cmp, files, fillCache: true);
        var rnd = new Random(3);
        var seen = new HashSet<InternalIterator>(ReferenceEqualityComparer.Instance);
        int crossings = 0, exits = 0, previousTable = -1;
        for (int round = 0; round < 2000; round++)
        {
            int target = rnd.Next(0, 2 * Tables * KeysPerTable + 2);
            level.Seek(InternalKey.Create(UserKey(target), InternalKey.MaxSequence, ValueKinds.ForSeek));
            int expected = (target + 1) / 2 * 2; // the first even key at or after the target
            // Ten entries on, across the next table's start where it comes.
            for (int step = 0; step < 10; step++, expected += 2)
            {
                if (expected >= 2 * Tables * KeysPerTable)
                {
                    Assert.False(level.Valid, $"seek to {target}: an entry past the level's end");
                    break;
                }
                Assert.True(level.Valid, $"seek to {target}: no entry {expected}");
                Assert.Equal(UserKey(expected), InternalKey.UserKey(level.Key).ToArray());
                Assert.Equal(ValueOf(expected), level.Value.ToArray());
                level.Next();
            }
            // Leaving the level (past its last table) lets the table iterator go; nothing else does.
            if (level.Current is { } current) seen.Add(current);
            else exits++;
            int table = Math.Min(target / 2 / KeysPerTable, Tables - 1);
            if (table != previousTable) crossings++;
            previousTable = table;
        }
        Assert.True(crossings > 500, $"only {crossings} seeks changed tables");
        Assert.True(seen.Count <= exits + 1, $"{seen.Count} table iterators for {crossings} changes of table and {exits} exits from the level");

        // Backwards across every table's start too.
        level.SeekToLast();
        var walking = level.Current;
        for (int i = Tables * KeysPerTable - 1; i >= 0; i--)
        {
            Assert.True(level.Valid, $"no entry {2 * i} walking back");
            Assert.Equal(UserKey(2 * i), InternalKey.UserKey(level.Key).ToArray());
            Assert.Same(walking, level.Current);
            level.Prev();
        }
        Assert.False(level.Valid);
    }

    [Fact]
    public void AfterASeekPastTheLastTable_TheNextSeekStillFindsItsEntry()
    {
        var (cache, files) = Level();
        using var level = new LevelIterator(cache, Cmp, files, fillCache: false);
        level.Seek(InternalKey.Create(UserKey(2 * Tables * KeysPerTable + 5), InternalKey.MaxSequence, ValueKinds.ForSeek));
        Assert.False(level.Valid);
        level.Seek(InternalKey.Create(UserKey(7), InternalKey.MaxSequence, ValueKinds.ForSeek));
        Assert.True(level.Valid);
        Assert.Equal(UserKey(8), InternalKey.UserKey(level.Key).ToArray());
        level.Seek(InternalKey.Create(UserKey(2 * (3 * KeysPerTable) + 1), InternalKey.MaxSequence, ValueKinds.ForSeek));
        Assert.Equal(UserKey(2 * (3 * KeysPerTable) + 2), InternalKey.UserKey(level.Key).ToArray());
    }
}
