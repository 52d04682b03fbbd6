using System.Text;
using LatticeKV.Sst;
using Xunit.Abstractions;

namespace LatticeKV.Tests.Sst;

public class BloomFilterTests(ITestOutputHelper output)
{
    [Fact]
    public void MayContain_AddedKeys_NeverFalseNegative()
    {
        var keys = Enumerable.Range(0, 50_000).Select(i => Encoding.UTF8.GetBytes($"present-{i}")).ToList();
        var filter = BloomFilter.Build(keys.Select(k => BloomFilter.Hash(k)).ToArray(), 10);
        Assert.All(keys, k => Assert.True(BloomFilter.MayContain(filter, BloomFilter.Hash(k))));
    }

    [Fact]
    public void MayContain_MillionAbsentKeysAt10BitsPerKey_FalsePositiveRateAtMost1Point2Percent()
    {
        var present = Enumerable.Range(0, 1_000_000).Select(i => BloomFilter.Hash(Encoding.UTF8.GetBytes($"user/{i:D9}"))).ToArray();
        var filter = BloomFilter.Build(present, 10);
        int falsePositives = 0;
        const int absent = 1_000_000;
        for (int i = 0; i < absent; i++)
            if (BloomFilter.MayContain(filter, BloomFilter.Hash(Encoding.UTF8.GetBytes($"miss/{i:D9}")))) falsePositives++;
        double rate = (double)falsePositives / absent;
        output.WriteLine($"false positives: {falsePositives} of {absent} = {rate:P3}; filter {filter.Length} bytes for {present.Length} keys");
        Assert.True(rate <= 0.012, $"false-positive rate {rate:P3} exceeds 1.2%");
        Assert.True(rate > 0, "a bloom filter with 10 bits/key must have some false positives; zero means the test is not probing");
    }

    [Fact]
    public void Build_IntoAPooledArrayHoldingOtherBytes_EqualsTheFreshFilter()
    {
        var hashes = Enumerable.Range(0, 3000).Select(i => BloomFilter.Hash(Encoding.UTF8.GetBytes($"k{i}"))).ToArray();
        var fresh = BloomFilter.Build(hashes, 10);
        var reused = new byte[BloomFilter.SizeFor(hashes.Length, 10) + 100];
        Array.Fill(reused, (byte)0xA5);

        int length = BloomFilter.Build(hashes, 10, reused);

        Assert.Equal(fresh.Length, length);
        Assert.Equal(fresh, reused.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void Validate_DamagedMetadata_ThrowsCorruption()
    {
        var filter = BloomFilter.Build([1, 2, 3], 10);
        var bad = filter.ToArray();
        bad[^1] = 9;
        Assert.Throws<CorruptionException>(() => BloomFilter.Validate(bad));
        Assert.Throws<CorruptionException>(() => BloomFilter.Validate(filter.AsSpan(0, 10)));
    }

    /// <summary>A filter filled key by key (as a sealed memtable's is) must be the block a table would store for the same keys.</summary>
    [Theory]
    [InlineData(1, 10)]
    [InlineData(1000, 10)]
    [InlineData(777, 6)]
    [InlineData(5000, 16)]
    public void AddOneByOne_GivesTheBytesOfBuild_OverStaleBytes(int keys, int bitsPerKey)
    {
        var rnd = new Random(keys);
        var hashes = new ulong[keys];
        for (int i = 0; i < keys; i++) hashes[i] = BloomFilter.Hash(BitConverter.GetBytes(rnd.NextInt64()));
        var built = BloomFilter.Build(hashes, bitsPerKey);

        var destination = new byte[BloomFilter.SizeFor(keys, bitsPerKey) + 64];
        rnd.NextBytes(destination); // what a reused buffer held before
        int length = BloomFilter.Initialize(keys, bitsPerKey, destination);
        var filter = destination.AsSpan(0, length);
        foreach (ulong h in hashes) BloomFilter.Add(filter, h);

        Assert.Equal(built.Length, length);
        Assert.True(built.AsSpan().SequenceEqual(filter), "filled one by one differs from the built block");
        BloomFilter.Validate(filter);
        foreach (ulong h in hashes) Assert.True(BloomFilter.MayContain(filter, h));
    }
}
