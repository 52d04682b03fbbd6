using System.Text;
using LatticeKV.Sst;

namespace LatticeKV.Tests.Sst;

public class BlockTests
{
    private static Block Build(IEnumerable<string> keys, int restartInterval)
    {
        var b = new BlockBuilder(restartInterval);
        foreach (var k in keys) b.Add(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes("v:" + k));
        var data = b.Finish().ToArray();
        return new Block(data, data.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public void Iterator_SeekNextPrev_MatchSortedKeys(int restartInterval)
    {
        var keys = Enumerable.Range(0, 300).Select(i => $"key/{i * 3:D5}").ToList();
        var block = Build(keys, restartInterval);
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(block);
        var seen = new List<string>();
        for (it.SeekToFirst(); it.Valid; it.Next()) seen.Add(Encoding.UTF8.GetString(it.Key));
        Assert.Equal(keys, seen);
        seen.Clear();
        for (it.SeekToLast(); it.Valid; it.Prev()) seen.Add(Encoding.UTF8.GetString(it.Key));
        seen.Reverse();
        Assert.Equal(keys, seen);
        for (int i = 0; i < 900; i += 7)
        {
            it.Seek(Encoding.UTF8.GetBytes($"key/{i:D5}"));
            int expected = (i + 2) / 3;
            if (expected >= keys.Count) Assert.False(it.Valid);
            else
            {
                Assert.Equal(keys[expected], Encoding.UTF8.GetString(it.Key));
                Assert.Equal("v:" + keys[expected], Encoding.UTF8.GetString(it.Value));
            }
        }
    }

    [Fact]
    public void Block_RestartCountBeyondSize_ThrowsCorruption()
    {
        var block = Build(["a", "b"], 16).Data.ToArray();
        block[^4] = 200;
        Assert.Throws<CorruptionException>(() => new Block(block, block.Length));
    }

    [Fact]
    public void Iterator_RandomlyDamagedBlock_ThrowsOnlyCorruption()
    {
        var original = Build(Enumerable.Range(0, 100).Select(i => $"k{i:D4}"), 8).Data;
        var rnd = new Random(11);
        for (int trial = 0; trial < 2000; trial++)
        {
            var data = original.ToArray();
            for (int f = 0; f < 1 + rnd.Next(4); f++) data[rnd.Next(data.Length)] ^= (byte)(1 << rnd.Next(8));
            try
            {
                var b = new Block(data, data.Length);
                var it = new BlockIterator(SpanComparer.Bytewise);
                it.Reset(b);
                for (it.SeekToFirst(); it.Valid; it.Next()) { }
                for (it.SeekToLast(); it.Valid; it.Prev()) { }
                it.Seek("k0050"u8);
            }
            catch (CorruptionException)
            {
            }
        }
    }
}
