using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Indexing;

/// <summary><see cref="PostingTable"/> against a dictionary: sums, lengths, lookups and the order of first addition, across growth.</summary>
public sealed class PostingTableTests(ITestOutputHelper output)
{
    [Fact]
    public void Add_RandomKeysAcrossGrowth_MatchesDictionary()
    {
        int seed = TestSeed.Get(7301);
        output.WriteLine($"seed {seed} (LKV_SEED to replay)");
        var rng = new Random(seed);
        var table = new PostingTable();
        var model = new Dictionary<string, (int Frequency, long Length)>(StringComparer.Ordinal);
        var order = new List<string>();
        for (int i = 0; i < 20_000; i++)
        {
            // Short and long keys (the arena grows past its first size), empty included, many repeated.
            var key = new byte[rng.Next(8) == 0 ? rng.Next(0, 300) : rng.Next(1, 5)];
            rng.NextBytes(key);
            string name = Convert.ToHexString(key);
            int tf = rng.Next(1, 9);
            long length = rng.Next(1, 1000);
            table.Add(key, tf, length);
            if (!model.TryGetValue(name, out var held)) order.Add(name);
            model[name] = (held.Frequency + tf, length);
        }
        Assert.Equal(model.Count, table.Count);
        for (int p = 0; p < table.Count; p++)
        {
            string name = Convert.ToHexString(table.KeyAt(p));
            Assert.Equal(order[p], name);
            Assert.Equal(model[name], (table.FrequencyAt(p), table.LengthAt(p)));
            Assert.True(table.TryGet(table.KeyAt(p).ToArray(), out int tf, out long length));
            Assert.Equal(model[name], (tf, length));
        }
        Assert.False(table.TryGet(new byte[301], out _, out _));
    }
}
