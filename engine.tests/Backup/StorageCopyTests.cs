using System.IO.Hashing;
using LatticeKV.Backup;
using LatticeKV.Io;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Backup;

/// <summary>
/// <see cref="StorageCopy.Upload"/> both ways: copied by the kernel (a real file into a
/// <see cref="FileSystemBackupStorage"/>) and through a buffer (any other store).
/// </summary>
public sealed class StorageCopyTests(ITestOutputHelper output)
{
    // Not a multiple of the copy's chunk, so the last chunk is a short one.
    private const int FileSize = (3 << 20) + 12345;

    public static TheoryData<bool> Paths => new() { true, false };

    private static IBackupStorage Storage(string dir, bool kernel)
    {
        var local = new FileSystemBackupStorage(dir);
        return kernel ? local : new PassThroughStorage(local);
    }

    private byte[] RandomFile(string path)
    {
        int seed = TestSeed.Get(1818);
        output.WriteLine($"seed {seed}");
        var bytes = new byte[FileSize];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Upload_StoresTheFile_AndReturnsTheChecksumOfWhatItStored(bool kernel)
    {
        using var dir = new TempDir("storage-copy");
        var bytes = RandomFile(dir.Sub("source"));
        long progress = 0;

        ulong checksum = StorageCopy.Upload(RealFileSystem.Instance, dir.Sub("source"), FileSize, Storage(dir.Sub("store"), kernel), "shared/t.sst", n => progress += n, CancellationToken.None);

        Assert.Equal(XxHash3.HashToUInt64(bytes), checksum);
        Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(dir.Sub("store"), "shared", "t.sst")));
        Assert.Equal(FileSize, progress);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Upload_OfAPrefix_StoresOnlyThePrefix(bool kernel)
    {
        using var dir = new TempDir("storage-copy");
        var bytes = RandomFile(dir.Sub("source"));
        const int prefix = (1 << 20) + 7;

        ulong checksum = StorageCopy.Upload(RealFileSystem.Instance, dir.Sub("source"), prefix, Storage(dir.Sub("store"), kernel), "log", null, CancellationToken.None);

        Assert.Equal(XxHash3.HashToUInt64(bytes.AsSpan(0, prefix)), checksum);
        Assert.Equal(bytes[..prefix], File.ReadAllBytes(Path.Combine(dir.Sub("store"), "log")));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Upload_OfAFileShorterThanTheLengthAsked_ThrowsCorruptionNamingIt(bool kernel)
    {
        using var dir = new TempDir("storage-copy");
        RandomFile(dir.Sub("source"));

        var ex = Assert.Throws<CorruptionException>(() =>
            StorageCopy.Upload(RealFileSystem.Instance, dir.Sub("source"), FileSize + 1, Storage(dir.Sub("store"), kernel), "t.sst", null, CancellationToken.None));

        Assert.Contains(dir.Sub("source"), ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{FileSize} bytes long, {FileSize + 1} expected", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Another store (as an object store would be): every byte reaches it through <see cref="IBackupFileWriter.Write"/>.</summary>
    private sealed class PassThroughStorage(IBackupStorage inner) : ForwardingBackupStorage(inner)
    {
        public override IBackupFileWriter Create(string path) => new PassThroughWriter(base.Create(path));
    }

    private sealed class PassThroughWriter(IBackupFileWriter inner) : IBackupFileWriter
    {
        public void Write(ReadOnlySpan<byte> data) => inner.Write(data);

        public void Commit() => inner.Commit();

        public void Dispose() => inner.Dispose();
    }
}
