using System.Buffers.Binary;
using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Sst;
using LatticeKV.Wal;

namespace LatticeKV.Tests;

/// <summary>The bytes LatticeKV writes, checked against the layouts and worked examples of FORMAT.md.</summary>
public class FormatTests
{
    private static readonly InternalKeyComparator Cmp = new(KeyComparator.Bytewise);

    // FORMAT.md §4.2 worked example.
    private static readonly byte[] TwoEntryBlock = Convert.FromHexString(
        "000901" + "610101000000000000" + "78" +
        "010901" + "620102000000000000" + "79" +
        "00000000" + "01000000");

    [Fact]
    public void DataBlock_TwoEntries_MatchesWorkedExample()
    {
        var b = new BlockBuilder(16);
        b.Add(InternalKey.Create("a"u8, 1, ValueKind.Value), "x"u8);
        b.Add(InternalKey.Create("ab"u8, 2, ValueKind.Value), "y"u8);
        Assert.Equal(TwoEntryBlock, b.Finish().ToArray());
    }

    [Fact]
    public void Table_FooterAndFirstBlock_FollowFormatSpec()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        var builder = new TableBuilder(fs.CreateWritable("/f/000001.sst"), new TableBuilderOptions(Cmp, 4096, 16, CompressionType.None, 10));
        builder.Add(InternalKey.Create("a"u8, 1, ValueKind.Value), "x"u8);
        builder.Add(InternalKey.Create("ab"u8, 2, ValueKind.Value), "y"u8);
        builder.Finish();
        var file = fs.GetContents("/f/000001.sst");

        // §4.8 footer: the last 64 bytes.
        var footer = file.AsSpan(file.Length - 64);
        Assert.Equal("LKVTABLE"u8.ToArray(), footer[56..].ToArray());
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(footer[32..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(footer[36..]));
        Assert.True(footer[40..52].ToArray().All(b => b == 0));
        Assert.Equal(Crc32C.Mask(Crc32C.Compute(footer[..52])), BinaryPrimitives.ReadUInt32LittleEndian(footer[52..]));
        long indexOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[16..]);
        long indexSize = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[24..]);
        long metaOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(footer[..]);
        Assert.True(metaOffset < indexOffset && indexOffset + indexSize + 5 == file.Length - 64);

        // §4.2/§4.3: the first data block starts at offset 0 and is the worked example plus its trailer.
        Assert.Equal(TwoEntryBlock, file.AsSpan(0, TwoEntryBlock.Length).ToArray());
        byte type = file[TwoEntryBlock.Length];
        Assert.Equal(0, type);
        uint expectedCrc = Crc32C.Mask(Crc32C.Compute(file.AsSpan(0, TwoEntryBlock.Length + 1)));
        Assert.Equal(expectedCrc, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(TwoEntryBlock.Length + 1)));

        // §4.5 index: one entry whose key is the block's last key and whose value is handle (0, block size).
        var index = new Block(file.AsSpan((int)indexOffset, (int)indexSize).ToArray(), (int)indexSize);
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(index);
        it.SeekToFirst();
        Assert.Equal(InternalKey.Create("ab"u8, 2, ValueKind.Value), it.Key.ToArray());
        Assert.Equal(new BlockHandle(0, TwoEntryBlock.Length), BlockHandle.Decode(it.Value));
    }

    [Fact]
    public void LogRecord_Abc_MatchesWorkedExample()
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/l");
        using (var w = new LogWriter(fs.CreateWritable("/l/x")))
        {
            w.AddRecord("abc"u8);
            w.File.Flush();
        }
        var bytes = fs.GetContents("/l/x");
        uint crc = Crc32C.Mask(Crc32C.Compute([1, (byte)'a', (byte)'b', (byte)'c']));
        var expected = new byte[10];
        BinaryPrimitives.WriteUInt32LittleEndian(expected, crc);
        expected[4] = 3;
        expected[6] = 1;
        "abc"u8.CopyTo(expected.AsSpan(7));
        Assert.Equal(expected, bytes);
        Assert.Equal(FormatMdLogExampleCrc, Convert.ToHexString(bytes.AsSpan(0, 4)).ToLowerInvariant());
    }

    // The crc bytes printed in FORMAT.md §2's worked example.
    private const string FormatMdLogExampleCrc = "f270e89d";

    [Fact]
    public void WriteBatch_PutKV_MatchesWorkedExample()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        batch.SetHeader(7, 0);
        Assert.Equal(Convert.FromHexString("0700000000000000" + "01000000" + "0000000000000000" + "01" + "016b" + "0176"), batch.Rep.ToArray());
    }

    [Fact]
    public void WriteBatch_UntimedPutKV_MatchesWorkedExample()
    {
        var batch = new WriteBatch();
        batch.Put("k"u8, "v"u8);
        Span<byte> head = stackalloc byte[WriteBatch.UntimedHeaderSize];
        WriteBatch.WriteUntimedHeader(head, 7, batch.Count);
        Assert.Equal(Convert.FromHexString("0700000000000000" + "01000080" + "01" + "016b" + "0176"), (byte[])[.. head, .. batch.Body]);
    }

    [Fact]
    public void Footer_WorkedExample_MatchesFormatMd()
    {
        Span<byte> footer = stackalloc byte[Footer.Size];
        new Footer(new BlockHandle(4096, 60), new BlockHandle(4161, 20), 1, 0).EncodeTo(footer);
        Assert.Equal("a400c7c9", Convert.ToHexString(footer[52..56]).ToLowerInvariant());
        Assert.Equal("0010000000000000" + "3c00000000000000" + "4110000000000000" + "1400000000000000" + "01000000" + "00000000",
            Convert.ToHexString(footer[..40]).ToLowerInvariant());
    }

    [Fact]
    public void LargeValueBlock_MatchesWorkedExample()
    {
        // FORMAT.md §19: a 65,536-byte value with the default threshold is stored as one zstd block of type 2.
        var fs = new MemFileSystem();
        fs.CreateDirectory("/f");
        var value = new byte[65536];
        for (int i = 0; i < value.Length; i++) value[i] = (byte)('a' + i % 7);
        var builder = new TableBuilder(fs.CreateWritable("/f/000001.sst"),
            new TableBuilderOptions(Cmp, 4096, 16, CompressionType.Snappy, 10, LargeValueThreshold: ColumnFamilyOptions.DefaultLargeValueCompressionThreshold));
        builder.Add(InternalKey.Create("k"u8, 1, ValueKind.Value), value);
        builder.Finish();
        var file = fs.GetContents("/f/000001.sst");
        Assert.Equal(Convert.FromHexString("28b52ffd"), file.AsSpan(0, 4).ToArray());
        using var table = TableReader.Open(fs.OpenRead("/f/000001.sst"), 1, new TableReaderOptions(Cmp, null, true));
        var handle = table.Fences.Handle(0);
        Assert.Equal(0, handle.Offset);
        Assert.Equal((byte)CompressionType.Zstd, file[handle.Size]);
        Assert.Equal(65558UL, ZstdSharp.Decompressor.GetDecompressedSize(file.AsSpan(0, (int)handle.Size)));
        var block = table.GetDataBlock(handle, false);
        Assert.Equal(65558, block.Length);
        Assert.Equal(Convert.FromHexString("00098080046b0101000000000000"), block.Data.AsSpan(0, 14).ToArray());
    }

    [Fact]
    public void FormatMd_DeclaresCurrentVersions()
    {
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "FORMAT.md"));
        Assert.Contains($"Table format version: **{Footer.CurrentFormatVersion}**", doc, StringComparison.Ordinal);
        Assert.Contains($"Database format version: **{LatticeKV.Manifest.VersionSet.FormatVersion}**", doc, StringComparison.Ordinal);
        Assert.Contains("offset 0: f2 70 e8 9d", doc, StringComparison.Ordinal);
        Assert.Contains("a4 00 c7 c9   4c 4b 56 54 41 42 4c 45", doc, StringComparison.Ordinal);
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FORMAT.md"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("FORMAT.md not found above the test directory");
    }
}
