using System.IO.Hashing;
using LatticeKV.Backup;

namespace LatticeKV.Tests.Backup;

public sealed class LogPrefixHashesTests
{
    private static XxHash3 HashOf(byte[] bytes)
    {
        var hash = new XxHash3();
        hash.Append(bytes);
        return hash;
    }

    [Fact]
    public void TryResume_SameLengthAndChecksum_ContinuesAsIfTheBytesWereReadAgain()
    {
        var known = new LogPrefixHashes();
        byte[] prefix = [1, 2, 3, 4, 5], rest = [6, 7, 8];
        known.Remember(7, prefix.Length, HashOf(prefix));
        var resumed = Assert.IsType<XxHash3>(known.TryResume(7, prefix.Length, XxHash3.HashToUInt64(prefix)));
        resumed.Append(rest);
        Assert.Equal(XxHash3.HashToUInt64([.. prefix, .. rest]), resumed.GetCurrentHashAsUInt64());
        // The remembered state is a copy: appending to the resumed one does not move it.
        Assert.NotNull(known.TryResume(7, prefix.Length, XxHash3.HashToUInt64(prefix)));
    }

    [Fact]
    public void TryResume_OtherLengthChecksumOrLog_ReturnsNull()
    {
        var known = new LogPrefixHashes();
        byte[] prefix = [1, 2, 3, 4, 5];
        ulong sum = XxHash3.HashToUInt64(prefix);
        known.Remember(7, prefix.Length, HashOf(prefix));
        Assert.Null(known.TryResume(7, prefix.Length - 1, sum));
        Assert.Null(known.TryResume(7, prefix.Length, ~sum));
        Assert.Null(known.TryResume(8, prefix.Length, sum));
    }

    [Fact]
    public void KeepOnly_RetiredLog_IsForgotten()
    {
        var known = new LogPrefixHashes();
        known.Remember(7, 1, HashOf([1]));
        known.Remember(9, 1, HashOf([2]));
        known.KeepOnly([9]);
        Assert.Equal(1, known.Count);
        Assert.Null(known.TryResume(7, 1, XxHash3.HashToUInt64([1])));
        Assert.NotNull(known.TryResume(9, 1, XxHash3.HashToUInt64([2])));
    }
}
