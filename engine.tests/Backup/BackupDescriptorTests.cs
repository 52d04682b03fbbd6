using System.Text;
using LatticeKV.Backup;

namespace LatticeKV.Tests.Backup;

public sealed class BackupDescriptorTests
{
    private static BackupDescriptor Sample(string name = "000012.sst", string path = "shared/x.sst") => new()
    {
        Id = 3, TimestampMs = 1764583200000, Sequence = 1234, DatabaseId = new string('a', 32), Timeline = new string('b', 32),
        Metadata = "nightly \"quoted\" ü", NewBytes = 10,
        Files = [new(name, path, "table", 2048, 0x89abcdef01234567UL)],
    };

    [Fact]
    public void Descriptor_RoundTrips()
    {
        var d = BackupDescriptor.Decode(Sample().Encode(), "meta/3");
        Assert.Equal(3, d.Id);
        Assert.Equal(1234UL, d.Sequence);
        Assert.Equal("nightly \"quoted\" ü", d.Metadata);
        var f = Assert.Single(d.Files);
        Assert.Equal(("000012.sst", "shared/x.sst", 2048L, 0x89abcdef01234567UL), (f.Name, f.StoredPath, f.Size, f.Checksum));
    }

    [Theory]
    [InlineData("../../etc/passwd", "shared/x.sst")]
    [InlineData("a/b", "shared/x.sst")]
    [InlineData("000012.sst", "../outside.sst")]
    [InlineData("000012.sst", "/abs/path.sst")]
    public void HostileNames_AreCorruption_EvenWithAValidChecksum(string name, string path)
    {
        var ex = Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(Sample(name, path).Encode(), "meta/3"));
        Assert.Equal("meta/3", ex.FilePath);
    }

    [Fact]
    public void AnyFlippedByte_IsCorruption()
    {
        var bytes = Sample().Encode();
        for (int i = 0; i < bytes.Length; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[i] ^= 0x01;
            Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(copy, "meta/3"));
        }
        Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(Encoding.ASCII.GetBytes("{}"), "meta/3"));
    }

    private static BackupDescriptor WithLog(params BackupPiece[] pieces) => Sample() with
    {
        Files = [new("000007.log", pieces[0].Path, "log", pieces.Sum(p => p.Size), 0x1122334455667788UL, pieces)],
    };

    [Fact]
    public void Descriptor_LogInPieces_RoundTrips()
    {
        BackupPiece[] pieces = [new("shared/a-000007-0-100-0000000000000001.logpiece", 0, 100, 1), new("shared/a-000007-100-20-0000000000000002.logpiece", 100, 20, 2)];
        var f = Assert.Single(BackupDescriptor.Decode(WithLog(pieces).Encode(), "meta/3").Files);
        Assert.Equal(pieces, f.Pieces);
        Assert.Equal((120L, 0x1122334455667788UL, pieces[0].Path), (f.Size, f.Checksum, f.StoredPath));
    }

    [Theory]
    [InlineData(0, 100, 101, 20)]  // a gap between two pieces
    [InlineData(0, 100, 99, 20)]   // pieces overlap
    [InlineData(5, 100, 105, 20)]  // the first does not start at 0
    [InlineData(0, 100, 100, 0)]   // an empty piece
    public void Descriptor_PiecesNotEndToEnd_AreCorruption(long offset0, long size0, long offset1, long size1)
    {
        BackupPiece[] pieces = [new("shared/p0.logpiece", offset0, size0, 1), new("shared/p1.logpiece", offset1, size1, 2)];
        var bad = Sample() with { Files = [new("000007.log", pieces[0].Path, "log", offset1 + size1, 3, pieces)] };
        var ex = Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(bad.Encode(), "meta/3"));
        Assert.Equal("meta/3", ex.FilePath);
    }

    [Fact]
    public void Descriptor_PiecePathOutsideTheStore_IsCorruption()
    {
        var bad = WithLog(new BackupPiece("shared/../../x.logpiece", 0, 10, 1));
        Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(bad.Encode(), "meta/3"));
    }

    // The descriptor's JSON with its format number replaced, sealed again with a valid checksum line.
    private static byte[] WithFormat(BackupDescriptor d, int format)
    {
        var json = Encoding.UTF8.GetString(d.Encode()[..^(1 + 5 + 16 + 1)]);
        string replaced = json.Replace($"\"format\": {BackupDescriptor.FormatVersion}", $"\"format\": {format}", StringComparison.Ordinal);
        Assert.NotEqual(json, replaced);
        return BackupDescriptor.Sealed(Encoding.UTF8.GetBytes(replaced));
    }

    [Fact]
    public void Decode_FormatTwoDescriptor_IsStillRead()
    {
        BackupPiece[] pieces = [new("shared/p0.logpiece", 0, 100, 1), new("shared/p1.logpiece", 100, 20, 2)];
        var d = BackupDescriptor.Decode(WithFormat(WithLog(pieces), 2), "meta/3");
        Assert.Equal(pieces, Assert.Single(d.Files).Pieces);
        Assert.Equal(3, BackupDescriptor.FormatVersion);
    }

    [Fact]
    public void Decode_FormatNewerThanThisReader_IsCorruption()
    {
        var ex = Assert.Throws<CorruptionException>(() => BackupDescriptor.Decode(WithFormat(Sample(), BackupDescriptor.FormatVersion + 1), "meta/3"));
        Assert.Contains("not supported", ex.Message, StringComparison.Ordinal);
    }
}
