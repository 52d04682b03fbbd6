using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests;

/// <summary>A user-supplied <see cref="KeyComparator"/> orders everything, and a database remembers which one it was created with.</summary>
public class KeyComparatorTests
{
    private sealed class ReverseComparator : KeyComparator
    {
        public override string Name => "test.reverse";

        public override int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => b.SequenceCompareTo(a);
    }

    [Fact]
    public void CustomComparator_OrdersIterationAndSurvivesFlushAndReopen()
    {
        using var dir = new TempDir();
        var options = new DbOptions { Comparator = new ReverseComparator(), WriteBufferSize = 8 * 1024 };
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            for (int i = 0; i < 500; i++) db.Put(B($"k{i:D3}"), B("v"));
            db.CompactRange();
        }
        using (var db = LatticeDb.Open(dir.Path, options))
        {
            using var it = db.NewIterator();
            it.SeekToFirst();
            Assert.Equal("k499", S(it.Key.ToArray()));
            it.Seek(B("k250"));
            Assert.Equal("k250", S(it.Key.ToArray()));
            it.Next();
            Assert.Equal("k249", S(it.Key.ToArray()));
        }
    }

    [Fact]
    public void Open_WithDifferentComparator_ThrowsInvalidArgument()
    {
        using var dir = new TempDir();
        LatticeDb.Open(dir.Path, new DbOptions { Comparator = new ReverseComparator() }).Dispose();
        var ex = Assert.Throws<InvalidArgumentException>(() => LatticeDb.Open(dir.Path));
        Assert.Contains("test.reverse", ex.Message, StringComparison.Ordinal);
    }
}
