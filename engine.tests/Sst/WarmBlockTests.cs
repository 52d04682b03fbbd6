using System.Text;
using LatticeKV.Cache;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// Blocks loaded ahead of readers (preload, readahead, prefetch) into a tiered cache go to the
/// compressed tier as they are stored: nothing is decoded until a reader asks for an entry.
/// </summary>
public class WarmBlockTests
{
    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"key{i:D8}");

    private static string Value(int i) => $"{i:D8}:" + new string((char)('a' + i % 26), 80 + i % 37);

    [Fact]
    public void WarmBlock_IntoTheCompressedTier_DecodesNothing_AndReadersFindTheBlocks()
    {
        using var dir = new TempDir("warm-block");
        using (var db = LatticeDb.Open(dir.Path, new DbOptions { Preload = new PreloadOptions { Enabled = false } }))
        {
            for (int i = 0; i < 5_000; i++) db.Put(Key(i), Encoding.UTF8.GetBytes(Value(i)));
            db.Flush();
        }
        var path = Directory.GetFiles(dir.Path, "*.sst").Single();
        long number = long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture);

        // A cache far smaller than the data it is told of: tiered, with room for this table compressed.
        var tiers = new BlockCacheTiers(4 << 20, new BlockArrayPool(256 * 1024), new NativeBlockPool(64 * 1024));
        tiers.Resize(compressedBytes: 2 << 20, rawBytes: 64 << 20);
        Assert.True(tiers.Tiered, "the cache should keep blocks compressed");
        var options = new TableReaderOptions(new InternalKeyComparator(KeyComparator.Bytewise), tiers.Decompressed, false, blockArrays: tiers.Arrays, tiers: tiers);
        using var reader = TableReader.Open(LatticeKV.Io.RealFileSystem.Instance.OpenRead(path), number, options);
        int blocks = reader.Fences.Count;
        Assert.True(blocks > 4, "the table should hold several data blocks");

        long rents = DecodeBuffers.RentsOnThisThread;
        long read = 0;
        for (int b = 0; b < blocks; b++) read += reader.WarmBlock(b, WarmOrigin.Preload);
        Assert.True(read > 0, "the blocks should have been read from the file");
        Assert.Equal(rents, DecodeBuffers.RentsOnThisThread);
        Assert.True(tiers.Compressed.Usage > 0, "the blocks should be kept compressed");
        Assert.Equal(0, reader.WarmBlock(0, WarmOrigin.Preload)); // held already: not read again

        long hits = tiers.CompressedHits;
        for (int i = 0; i < 5_000; i += 101)
        {
            var lookup = new byte[Key(i).Length + InternalKey.TrailerSize];
            InternalKey.Encode(lookup, Key(i), InternalKey.MaxSequence, ValueKinds.ForSeek);
            Assert.True(reader.Get(lookup, fillCache: true, out _, out var block, out int offset, out int length));
            try { Assert.Equal(Value(i), Encoding.UTF8.GetString(block!.Data, offset, length)); }
            finally { block!.Unpin(); }
        }
        Assert.True(tiers.CompressedHits - hits >= 40, "the readers should have found the warmed blocks in the compressed tier");
        tiers.Clear();
    }
}
