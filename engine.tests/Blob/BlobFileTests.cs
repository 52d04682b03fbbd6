using LatticeKV.Blob;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Tests.Db;

namespace LatticeKV.Tests.Blob;

/// <summary>
/// The blob file format (FORMAT.md §21): records written by <see cref="BlobFileWriter"/> read back
/// through their references; damage of any kind is a <see cref="CorruptionException"/> naming the
/// file and the record's offset.
/// </summary>
public sealed class BlobFileTests
{
    private const string Path = "/b/000007.blob";

    private static (MemFileSystem Fs, List<BlobReference> Refs, List<byte[]> Values, BlobFileMetaData Meta) Write(int zstdLevel, params int[] sizes)
    {
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        var refs = new List<BlobReference>();
        var values = new List<byte[]>();
        BlobFileMetaData meta;
        using (var w = new BlobFileWriter(fs.CreateWritable(Path), 7, 3, zstdLevel))
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                var v = LargeValueCompressionTests.Text(sizes[i], i);
                values.Add(v);
                refs.Add(w.Add(i % 2 == 0 ? ValueKind.Value : ValueKind.TimedValue, v));
            }
            meta = w.Finish();
        }
        return (fs, refs, values, meta);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void WriteRead_SeveralRecords_ReadBackByReference(int zstdLevel)
    {
        var (fs, refs, values, meta) = Write(zstdLevel, 1, 100, 5000, 70000);
        Assert.Equal(4, meta.TotalCount);
        Assert.Equal(fs.GetContents(Path).Length, meta.FileSize);
        using var reader = BlobFileReader.Open(fs.OpenRead(Path), 7);
        Assert.Equal(3u, reader.ColumnFamily);
        for (int i = 0; i < refs.Count; i++)
        {
            var decoded = BlobReference.Decode(refs[i].ToArray());
            Assert.Equal(refs[i], decoded);
            Assert.Equal(values[i], reader.Read(decoded));
        }
        Assert.Equal(4, reader.VerifyAll());
        if (zstdLevel > 0) Assert.True(refs[3].RecordSize < 70000, "compressible text is stored compressed");
    }

    [Fact]
    public void Read_FlippedByteInRecord_ThrowsCorruptionNamingFileAndOffset()
    {
        var (fs, refs, _, _) = Write(3, 5000, 5000);
        var bytes = fs.GetContents(Path);
        bytes[refs[1].Offset + BlobFileFormat.RecordHeaderSize + 10] ^= 0x40;
        fs.SetContents(Path, bytes);
        using var reader = BlobFileReader.Open(fs.OpenRead(Path), 7);
        Assert.Equal(refs[0].ValueSize, reader.Read(refs[0]).Length);
        var ex = Assert.Throws<CorruptionException>(() => reader.Read(refs[1]));
        Assert.Equal(Path, ex.FilePath);
        Assert.Equal(refs[1].Offset, ex.Offset);
        var verify = Assert.Throws<CorruptionException>(() => reader.VerifyAll());
        Assert.Equal(refs[1].Offset, verify.Offset);
    }

    [Fact]
    public void Open_TruncatedFile_ThrowsCorruption()
    {
        var (fs, _, _, _) = Write(0, 3000);
        var bytes = fs.GetContents(Path);
        fs.SetContents(Path, bytes.AsSpan(0, bytes.Length - 5));
        var ex = Assert.Throws<CorruptionException>(() => BlobFileReader.Open(fs.OpenRead(Path), 7));
        Assert.Equal(Path, ex.FilePath);
    }

    [Fact]
    public void Read_ReferencePastEndOrWrongChecksum_ThrowsCorruption()
    {
        var (fs, refs, _, _) = Write(0, 3000);
        using var reader = BlobFileReader.Open(fs.OpenRead(Path), 7);
        Assert.Throws<CorruptionException>(() => reader.Read(refs[0] with { Offset = 1L << 40 }));
        Assert.Throws<CorruptionException>(() => reader.Read(refs[0] with { RecordSize = refs[0].RecordSize + 1 }));
        Assert.Throws<CorruptionException>(() => reader.Read(refs[0] with { Checksum = refs[0].Checksum ^ 1 }));
        Assert.Throws<CorruptionException>(() => reader.Read(refs[0] with { ValueSize = 1 }));
        Assert.Throws<CorruptionException>(() => reader.Read(refs[0] with { FileNumber = 8 }));
    }

    [Theory]
    [InlineData("")]
    [InlineData("01")]
    [InlineData("0007101001020304")]            // kind 0 (a deletion) is not a value
    [InlineData("01071010010203040506")]        // trailing bytes
    [InlineData("0100101001020304")]            // file number 0
    public void Decode_MalformedReference_ThrowsCorruption(string hex)
    {
        Assert.Throws<CorruptionException>(() => BlobReference.Decode(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Record_MatchesWorkedExample()
    {
        // FORMAT.md §21.6: the value "hello" as the first record of blob file 7 of family 3, uncompressed.
        var fs = new MemFileSystem();
        fs.CreateDirectory("/b");
        BlobReference r;
        using (var w = new BlobFileWriter(fs.CreateWritable(Path), 7, 3, 0))
        {
            r = w.Add(ValueKind.Value, "hello"u8);
            w.Finish();
        }
        var file = fs.GetContents(Path);
        Assert.Equal("4c4b56424c4f4201" + "01000000" + "03000000", Convert.ToHexString(file.AsSpan(0, 16)).ToLowerInvariant());
        Assert.Equal("05000000" + "05000000" + "00000000", Convert.ToHexString(file.AsSpan(16, 12)).ToLowerInvariant());
        Assert.Equal("68656c6c6f", Convert.ToHexString(file.AsSpan(32, 5)).ToLowerInvariant());
        Assert.Equal(16 + 21 + 32, file.Length);
        Assert.Equal("0107101505" + Convert.ToHexString(file.AsSpan(28, 4)).ToLowerInvariant(), Convert.ToHexString(r.ToArray()).ToLowerInvariant());
        var doc = File.ReadAllText(System.IO.Path.Combine(FormatTests.RepoRoot(), "FORMAT.md"));
        Assert.Contains("4c 4b 56 42 4c 4f 42 01  01 00 00 00  03 00 00 00", doc, StringComparison.Ordinal);
        Assert.Contains("05 00 00 00  05 00 00 00  00 00 00 00  " + Spaced(file.AsSpan(28, 4)), doc, StringComparison.Ordinal);
    }

    private static string Spaced(ReadOnlySpan<byte> bytes) => string.Join(' ', bytes.ToArray().Select(b => b.ToString("x2")));
}
