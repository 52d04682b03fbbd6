using System.Text;
using LatticeKV.Io;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Io;

public class RealFileSystemTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Create_OverALeftoverFile_StartsEmptyAndKeepsOnlyNewData(bool mappedLog)
    {
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000007.log");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)0xAB, 100_000).ToArray());
        var fs = RealFileSystem.Instance;
        using (var file = mappedLog ? fs.CreateLog(path, 1 << 20) : fs.CreateWritable(path))
        {
            Assert.Equal(0, file.Length);
            file.Append(Encoding.ASCII.GetBytes("fresh"));
            file.Sync();
        }
        Assert.Equal("fresh", File.ReadAllText(path));
    }

    [Fact]
    public void MappedLog_ClosedWithoutSync_KeepsEveryAppendedByte()
    {
        // Closing no longer msyncs the mapping: the bytes must still be in the file (page cache).
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000009.log");
        var data = new byte[3 << 20];
        new Random(5).NextBytes(data);
        using (var file = RealFileSystem.Instance.CreateLog(path, 4 << 20))
        {
            for (int i = 0; i < data.Length; i += 4096) file.Append(data.AsSpan(i, 4096));
            file.Flush();
        }
        Assert.Equal(data, File.ReadAllBytes(path));
    }

    [Fact]
    public void MappedLog_WhileOpen_IsNeverTruncatedToZero()
    {
        // ext4's auto_da_alloc writes a file back at close when it was truncated to zero while
        // open; a log must stay at least one growth step long so its pages can be dropped on delete.
        using var dir = new TempDir("realfs");
        string path = dir.Sub("000011.log");
        using (var file = RealFileSystem.Instance.CreateLog(path, 8 << 20))
        {
            Assert.Equal(0, file.Length);
            Assert.Equal(1 << 20, new FileInfo(path).Length);
            file.Append(new byte[(1 << 20) + 10]);
            Assert.Equal(2 << 20, new FileInfo(path).Length);
        }
        Assert.Equal((1 << 20) + 10, new FileInfo(path).Length);
    }
}
