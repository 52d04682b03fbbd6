using System.Text;
using LatticeKV.Sst;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// <see cref="IntervalEntries"/> through <see cref="BlockIterator"/>, whose backward steps it
/// serves: random walks of seeks, forward and backward steps must land on the entries a sorted
/// list says, with the same keys and values, whatever the restart interval.
/// </summary>
public class IntervalEntriesTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(64)]
    public void BlockIterator_RandomWalk_MatchesSortedList(int restartInterval)
    {
        int seed = TestSeed.Get(781 + restartInterval);
        var rnd = new Random(seed);
        // Keys sharing prefixes of varying length, so entries are prefix-compressed unevenly.
        var keys = Enumerable.Range(0, 400).Select(_ => "k" + new string('x', rnd.Next(0, 40)) + rnd.Next(100_000).ToString("D6"))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var b = new BlockBuilder(restartInterval);
        foreach (var k in keys) b.Add(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes("v:" + k + new string('y', k.Length % 7)));
        var data = b.Finish().ToArray();
        var block = new Block(data, data.Length);
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(block);
        int at = -1; // index in keys; -1 or keys.Count when invalid
        for (int step = 0; step < 20_000 * TestSeed.Scale; step++)
        {
            int op = rnd.Next(10);
            if (op == 0) { it.SeekToFirst(); at = 0; }
            else if (op == 1) { it.SeekToLast(); at = keys.Count - 1; }
            else if (op == 2)
            {
                string target = "k" + new string('x', rnd.Next(0, 40)) + rnd.Next(100_000).ToString("D6");
                it.Seek(Encoding.UTF8.GetBytes(target));
                at = keys.FindIndex(k => string.CompareOrdinal(k, target) >= 0);
                if (at < 0) at = keys.Count;
            }
            else if (op <= 4)
            {
                if (!it.Valid) continue;
                it.Next();
                at++;
            }
            else
            {
                if (!it.Valid) continue;
                it.Prev();
                at--;
            }
            bool valid = at >= 0 && at < keys.Count;
            Assert.True(valid == it.Valid, $"seed={seed}, step {step}: valid {it.Valid}, expected {valid}");
            if (!valid) continue;
            Assert.True(keys[at] == Encoding.UTF8.GetString(it.Key), $"seed={seed}, step {step}: key {Encoding.UTF8.GetString(it.Key)}, expected {keys[at]}");
            Assert.Equal("v:" + keys[at] + new string('y', keys[at].Length % 7), Encoding.UTF8.GetString(it.Value));
        }
    }

    [Fact]
    public void BlockIterator_BackwardScanThenReset_ReadsTheNewBlockOnly()
    {
        var first = BuildBlock(Enumerable.Range(0, 50).Select(i => $"a{i:D3}"));
        var second = BuildBlock(Enumerable.Range(0, 50).Select(i => $"b{i:D3}"));
        var it = new BlockIterator(SpanComparer.Bytewise);
        it.Reset(first);
        it.SeekToLast();
        it.Prev();
        it.Reset(second);
        it.SeekToLast();
        var seen = new List<string>();
        for (; it.Valid; it.Prev()) seen.Add(Encoding.UTF8.GetString(it.Key));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"b{i:D3}").Reverse(), seen);
    }

    private static Block BuildBlock(IEnumerable<string> keys)
    {
        var b = new BlockBuilder(16);
        foreach (var k in keys) b.Add(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes("v"));
        var data = b.Finish().ToArray();
        return new Block(data, data.Length);
    }
}
