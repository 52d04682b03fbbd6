using System.Text;
using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

public class TableTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    internal static (MemFileSystem Fs, string Path) BuildTable(int entries, CompressionType compression, int blockSize = 1024, IEnumerable<RangeTombstone>? tombstones = null)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        var builder = new TableBuilder(fs.CreateWritable("/t/000001.sst"), new TableBuilderOptions(Cmp, blockSize, 16, compression, 10));
        for (int i = 0; i < entries; i++)
        {
            var key = InternalKey.Create(Encoding.UTF8.GetBytes($"key{i:D6}"), (ulong)(i + 1), i % 10 == 9 ? ValueKind.Deletion : ValueKind.Value);
            builder.Add(key, i % 10 == 9 ? [] : Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', i % 50)));
        }
        foreach (var t in tombstones ?? []) builder.AddRangeTombstone(t);
        builder.Finish();
        builder.Dispose();
        return (fs, "/t/000001.sst");
    }

    private static TableReader Open(MemFileSystem fs, string path, BlockCache<Block>? cache = null)
        => TableReader.Open(fs.OpenRead(path), 1, new TableReaderOptions(Cmp, cache, false));

    [Fact]
    public void Finish_TablesBuiltOneAfterAnother_EachFilterHoldsOnlyItsOwnKeys()
    {
        // Builders rent their key hashes and filter bits from the shared pool: the second table
        // must not inherit the first one's hashes (its filter would then pass the first's keys).
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        const int Keys = 20_000;
        for (int t = 0; t < 2; t++)
        {
            using var builder = new TableBuilder(fs.CreateWritable($"/t/00000{t + 1}.sst"), new TableBuilderOptions(Cmp, 4096, 16, CompressionType.None, 10));
            for (int i = 0; i < Keys; i++)
                builder.Add(InternalKey.Create(Encoding.UTF8.GetBytes($"t{t}-{i:D6}"), (ulong)(i + 1), ValueKind.Value), "v"u8);
            builder.Finish();
        }
        using var second = Open(fs, "/t/000002.sst");
        int passedOwn = 0, passedFirst = 0;
        for (int i = 0; i < Keys; i++)
        {
            if (second.MayContain(Encoding.UTF8.GetBytes($"t1-{i:D6}"))) passedOwn++;
            if (second.MayContain(Encoding.UTF8.GetBytes($"t0-{i:D6}"))) passedFirst++;
        }
        Assert.Equal(Keys, passedOwn);
        Assert.True(passedFirst < Keys / 20, $"{passedFirst} of the first table's {Keys} keys pass the second table's filter");
        Assert.Equal(BloomFilter.SizeFor(Keys, 10), second.Filter.Length);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Zstd)]
    public void Get_EveryKey_FindsItsNewestEntry(CompressionType compression)
    {
        var (fs, path) = BuildTable(5000, compression);
        using var table = Open(fs, path, new BlockCache<Block>(1 << 20));
        for (int i = 0; i < 5000; i++)
        {
            var lookup = InternalKey.Create(Encoding.UTF8.GetBytes($"key{i:D6}"), InternalKey.MaxSequence, ValueKinds.ForSeek);
            Assert.True(table.Get(lookup, true, out ulong trailer, out var block, out int off, out int len));
            if (i % 10 == 9) Assert.Equal(ValueKind.Deletion, (ValueKind)(byte)trailer);
            else Assert.Equal($"value-{i}-" + new string('x', i % 50), Encoding.UTF8.GetString(block!.Data, off, len));
        }
        var missing = InternalKey.Create("key0000005"u8, InternalKey.MaxSequence, ValueKinds.ForSeek);
        Assert.False(table.Get(missing, true, out _, out _, out _, out _));
        Assert.Equal(5000, table.Properties.NumEntries);
        Assert.Equal(500, table.Properties.NumDeletions);
        if (compression == CompressionType.Snappy) Assert.True(table.Properties.DataSize < table.Properties.UncompressedDataSize);
    }

    [Fact]
    public void Seek_BlocksWhoseFenceWindowsAreEqual_FindsEveryKeyAndGap()
    {
        // Keys that agree on the 8 bytes after the table's common prefix give runs of equal
        // index windows: the fence search must fall back to whole keys inside each run.
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        var keys = new List<byte[]>();
        foreach (char group in "ABC")
            for (int i = 0; i < 400; i++) keys.Add(Encoding.UTF8.GetBytes($"{group}-same-window-{i:D5}"));
        keys.Add(Encoding.UTF8.GetBytes("D"));
        var builder = new TableBuilder(fs.CreateWritable("/t/000001.sst"), new TableBuilderOptions(Cmp, 128, 4, CompressionType.None, 10));
        for (int i = 0; i < keys.Count; i++) builder.Add(InternalKey.Create(keys[i], (ulong)(i + 1), ValueKind.Value), keys[i]);
        builder.Finish();
        builder.Dispose();
        using var table = Open(fs, "/t/000001.sst");
        Assert.True(table.Fences.Count > 100);
        using var it = table.NewIterator(false);
        for (int i = 0; i < keys.Count; i++)
        {
            it.Seek(InternalKey.Create(keys[i], InternalKey.MaxSequence, ValueKinds.ForSeek));
            Assert.True(it.Valid);
            Assert.Equal(keys[i], InternalKey.UserKey(it.Key).ToArray());
            // Just past the key (a byte appended) lands on the next key.
            it.Seek(InternalKey.Create([.. keys[i], 0], InternalKey.MaxSequence, ValueKinds.ForSeek));
            if (i + 1 < keys.Count) Assert.Equal(keys[i + 1], InternalKey.UserKey(it.Key).ToArray());
            else Assert.False(it.Valid);
        }
    }

    /// <summary>
    /// Block seeks pick their restart interval by restart windows (the 8 user-key bytes after the
    /// table's shared prefix). Keys here tie on those bytes within blocks, differ only past them,
    /// are shorter than the window, or are versions of one user key, so every branch of that
    /// search is taken; with 2 of 4 restarts per block kept inline and with more than four.
    /// Every key at every snapshot and every gap must land where a sorted list says.
    /// </summary>
    [Theory]
    [InlineData(4096, 16)]
    [InlineData(512, 4)]
    [InlineData(4096, 2)]
    public void SeekAndGet_KeysTyingOnRestartWindows_LandWhereASortedListSays(int blockSize, int restartInterval)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        var userKeys = new SortedSet<byte[]>(Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b)));
        var rnd = new Random(5);
        for (int i = 0; i < 600; i++) userKeys.Add(Encoding.UTF8.GetBytes($"p/same-8b/{rnd.Next(100000):D6}"));   // tie on the window
        for (int i = 0; i < 300; i++) userKeys.Add(Encoding.UTF8.GetBytes($"p/{rnd.Next(1000000):D7}"));          // differ inside it
        for (int i = 0; i < 40; i++) userKeys.Add(Encoding.UTF8.GetBytes($"p/{(char)('a' + i % 26)}"));            // shorter than it
        var entries = new List<byte[]>();
        ulong seq = 1;
        foreach (var key in userKeys)
        {
            int versions = 1 + (key.Length % 3);                                                                    // some user keys several times
            for (int v = 0; v < versions; v++) entries.Add(InternalKey.Create(key, seq + (ulong)(versions - v) * 10, ValueKind.Value));
            seq += 100;
        }
        var builder = new TableBuilder(fs.CreateWritable("/t/000001.sst"), new TableBuilderOptions(Cmp, blockSize, restartInterval, CompressionType.Snappy, 10));
        foreach (var e in entries) builder.Add(e, e);
        builder.Finish();
        builder.Dispose();
        using var table = Open(fs, "/t/000001.sst", new BlockCache<Block>(4 << 20));
        using var it = table.NewIterator(true);

        var targets = new List<byte[]>();
        foreach (var e in entries)
        {
            var user = InternalKey.UserKey(e).ToArray();
            ulong s = InternalKey.Trailer(e) >> 8;
            targets.Add(InternalKey.Create(user, s, ValueKinds.ForSeek));                   // the entry itself
            targets.Add(InternalKey.Create(user, s - 1, ValueKinds.ForSeek));               // just below it: an older version or the next key
            targets.Add(InternalKey.Create([.. user, 0], InternalKey.MaxSequence, ValueKinds.ForSeek));
            targets.Add(InternalKey.Create(user.AsSpan(0, user.Length - 1), InternalKey.MaxSequence, ValueKinds.ForSeek));
        }
        targets.Add(InternalKey.Create("a"u8, InternalKey.MaxSequence, ValueKinds.ForSeek));   // before the shared prefix
        targets.Add(InternalKey.Create("q"u8, InternalKey.MaxSequence, ValueKinds.ForSeek));   // after it
        foreach (var target in targets)
        {
            int expected = entries.FindIndex(e => Cmp.Compare(e, target) >= 0);
            it.Seek(target);
            if (expected < 0)
            {
                Assert.False(it.Valid);
                continue;
            }
            Assert.True(it.Valid);
            Assert.Equal(Convert.ToHexString(entries[expected]), Convert.ToHexString(it.Key));
            bool sameUser = InternalKey.UserKey(entries[expected]).SequenceEqual(InternalKey.UserKey(target));
            Assert.Equal(sameUser, table.Get(target, true, out ulong trailer, out _, out _, out _));
            if (sameUser) Assert.Equal(InternalKey.Trailer(entries[expected]), trailer);
        }
    }

    [Fact]
    public void IndexRestartInterval_OneAsFormatOneWroteAndSixteen_ReadTheSame()
    {
        // Tables of database format 1 have index restart interval 1; later ones 16, prefix-compressed.
        var tables = new List<(TableReader Table, int Restarts)>();
        var fs = new MemFileSystem();
        fs.CreateDirectory("/t");
        foreach (int interval in new[] { 1, TableBuilderOptions.DefaultIndexRestartInterval })
        {
            string path = $"/t/{interval:D6}.sst";
            var builder = new TableBuilder(fs.CreateWritable(path), new TableBuilderOptions(Cmp, 256, 16, CompressionType.None, 10, IndexRestartInterval: interval));
            for (int i = 0; i < 4000; i++) builder.Add(InternalKey.Create(Encoding.UTF8.GetBytes($"key{i * 2:D6}"), (ulong)(i + 1), ValueKind.Value), Encoding.UTF8.GetBytes($"v{i}"));
            builder.Finish();
            builder.Dispose();
            var table = Open(fs, path);
            var footer = table.Footer;
            var indexBytes = fs.GetContents(path).AsSpan((int)footer.Index.Offset, (int)footer.Index.Size);
            tables.Add((table, BlockBuilder.RestartCount(indexBytes)));
        }
        try
        {
            var (one, sixteen) = (tables[0].Table, tables[1].Table);
            long blocks = one.Properties.NumDataBlocks;
            Assert.True(blocks > 100);
            Assert.Equal(blocks, tables[0].Restarts);
            Assert.Equal((blocks + 15) / 16, tables[1].Restarts);
            Assert.True(sixteen.Properties.IndexSize < one.Properties.IndexSize * 2 / 3, $"index {sixteen.Properties.IndexSize} vs {one.Properties.IndexSize} bytes");
            using var a = one.NewIterator(false);
            using var b = sixteen.NewIterator(false);
            for (int i = 0; i <= 8001; i += 7)
            {
                var target = InternalKey.Create(Encoding.UTF8.GetBytes($"key{i:D6}"), InternalKey.MaxSequence, ValueKinds.ForSeek);
                a.Seek(target);
                b.Seek(target);
                Assert.Equal(a.Valid, b.Valid);
                Assert.Equal(i <= 7998, b.Valid);
                if (b.Valid) Assert.Equal(Encoding.UTF8.GetBytes($"key{(i + 1) / 2 * 2:D6}"), InternalKey.UserKey(b.Key).ToArray());
                Assert.Equal(i % 2 == 0 && i < 8000, sixteen.Get(target, false, out _, out _, out _, out _));
                Assert.Equal(one.Get(target, false, out _, out _, out _, out _), sixteen.Get(target, false, out _, out _, out _, out _));
            }
        }
        finally
        {
            foreach (var (t, _) in tables) t.Dispose();
        }
    }

    [Fact]
    public void Iterator_ForwardAndBackward_VisitsAllEntriesInOrder()
    {
        var (fs, path) = BuildTable(3000, CompressionType.Snappy, blockSize: 256);
        using var table = Open(fs, path);
        using var it = table.NewIterator(false);
        int n = 0;
        for (it.SeekToFirst(); it.Valid; it.Next()) Assert.Equal($"key{n++:D6}", Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
        Assert.Equal(3000, n);
        for (it.SeekToLast(); it.Valid; it.Prev()) Assert.Equal($"key{--n:D6}", Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
        Assert.Equal(0, n);
        it.SeekForPrev(InternalKey.Create("key001500x"u8, 0, ValueKind.Deletion));
        Assert.Equal("key001500", Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
    }

    [Fact]
    public void Open_RangeTombstones_AreReadBackFragmented()
    {
        var (fs, path) = BuildTable(10, CompressionType.None, tombstones: [new RangeTombstone("key000002"u8.ToArray(), "key000005"u8.ToArray(), 100)]);
        using var table = Open(fs, path);
        Assert.Equal(100UL, table.RangeTombstones.MaxCoveringSequence("key000003"u8, 200));
        Assert.Equal(0UL, table.RangeTombstones.MaxCoveringSequence("key000005"u8, 200));
        Assert.Equal(1, table.Properties.NumRangeDeletions);
    }

    [Fact]
    public void Open_EveryByteFlipped_EitherReadsCorrectlyOrThrowsCorruption()
    {
        var (fs, path) = BuildTable(200, CompressionType.Snappy, blockSize: 512);
        var original = fs.GetContents(path);
        int detected = 0;
        for (int pos = 0; pos < original.Length; pos++)
        {
            var damaged = original.ToArray();
            damaged[pos] ^= 0x10;
            fs.SetContents(path, damaged);
            try
            {
                using var table = Open(fs, path);
                table.VerifyAll();
                // Undetected damage must be harmless: every entry still reads back as written.
                using var it = table.NewIterator(false);
                int n = 0;
                for (it.SeekToFirst(); it.Valid; it.Next(), n++)
                    Assert.Equal($"key{n:D6}", Encoding.UTF8.GetString(InternalKey.UserKey(it.Key)));
                Assert.Equal(200, n);
            }
            catch (CorruptionException ex)
            {
                Assert.Equal(path, ex.FilePath);
                detected++;
            }
        }
        // Only bytes no reader depends on (reserved footer bytes, padding) may go unnoticed.
        Assert.True(detected >= original.Length - 16, $"{original.Length - detected} flipped bytes went undetected");
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsCorruptionNamingFile()
    {
        var (fs, path) = BuildTable(100, CompressionType.None);
        var original = fs.GetContents(path);
        foreach (int length in new[] { 0, 10, 63, 64, original.Length / 2, original.Length - 1 })
        {
            fs.SetContents(path, original.AsSpan(0, length));
            var ex = Assert.Throws<CorruptionException>(() => Open(fs, path).Dispose());
            Assert.Equal(path, ex.FilePath);
        }
    }
}
