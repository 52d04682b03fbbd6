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
}
