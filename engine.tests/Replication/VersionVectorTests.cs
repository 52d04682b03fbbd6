using LatticeKV.Coding;
using LatticeKV.Replication;

namespace LatticeKV.Tests.Replication;

/// <summary>A version vector's encoding is in origin order whatever the insertion order (contexts and state records compare by bytes), and its delimiter finds exactly its bytes.</summary>
public sealed class VersionVectorTests
{
    private static byte[] Encoded(VersionVector vv)
    {
        var w = new ByteWriter(64);
        vv.Encode(w);
        return w.ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Encode_AnyInsertionOrder_SameBytesInOriginOrder_AndDecodesBack(int entries)
    {
        var origins = Enumerable.Range(0, entries).Select(_ => Guid.NewGuid()).ToList();
        var forward = new VersionVector();
        var backward = new VersionVector();
        for (int i = 0; i < entries; i++) forward.Observe(origins[i], (ulong)(i + 1) * 1000);
        for (int i = entries - 1; i >= 0; i--) backward.Observe(origins[i], (ulong)(i + 1) * 1000);

        var bytes = Encoded(forward);
        Assert.Equal(bytes, Encoded(backward));
        var r = new SpanReader(bytes);
        Assert.Equal(entries, r.ReadVarintInt());
        var written = new List<Guid>();
        for (int i = 0; i < entries; i++)
        {
            written.Add(new Guid(r.Take(16)));
            r.ReadVarint();
        }
        Assert.Equal(origins.Order().ToList(), written);
        var decoded = VersionVector.Decode(bytes);
        Assert.Equal(entries, decoded.Count);
        foreach (var origin in origins) Assert.Equal(forward[origin], decoded[origin]);
    }

    [Fact]
    public void Delimit_ReturnsExactlyTheVectorsBytes_AndRefusesATruncatedOne()
    {
        var vv = new VersionVector();
        vv.Observe(Guid.NewGuid(), 300);
        vv.Observe(Guid.NewGuid(), 1);
        var bytes = Encoded(vv);
        byte[] followed = [.. bytes, 0xAB, 0xCD];

        var r = new SpanReader(followed);
        Assert.Equal(bytes, VersionVector.Delimit(ref r).ToArray());
        Assert.Equal(2, r.Remaining);

        for (int cut = 0; cut < bytes.Length; cut++)
        {
            var truncated = bytes[..cut];
            Assert.Throws<CorruptionException>(() =>
            {
                var t = new SpanReader(truncated);
                VersionVector.Delimit(ref t);
            });
        }
    }

    [Fact]
    public void Delimit_ACountOverTheLimit_IsCorruption_NotAnAllocation()
    {
        var w = new ByteWriter(16);
        w.WriteVarint(uint.MaxValue);
        var bytes = w.ToArray();
        Assert.Throws<CorruptionException>(() =>
        {
            var r = new SpanReader(bytes);
            VersionVector.Delimit(ref r);
        });
    }
}
