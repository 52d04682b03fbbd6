using LatticeKV.Indexing;

namespace LatticeKV.Tests.Indexing;

/// <summary>The worked examples of FORMAT.md §14.</summary>
public sealed class IndexFormatTests
{
    [Fact]
    public void EntryKey_MatchesFormatWorkedExample()
        => Assert.Equal("6100FF6200016B31", Convert.ToHexString(IndexKeyEncoding.EntryKey([0x61, 0x00, 0x62], "k1"u8)));

    [Fact]
    public void Definition_MatchesFormatWorkedExample()
    {
        var record = new IndexRecord("a", 1, IndexState.Ready, true, null, IndexExtractors.JsonField("$.account"), null);
        Assert.Equal("02020101000109242E6163636F756E74", Convert.ToHexString(record.Encode()));
    }

    [Fact]
    public void TrySplit_InvertsEntryKey_AndRejectsOtherRecords()
    {
        byte[] indexKey = [0x00, 0x01, 0xFF, 0x00];
        Assert.True(IndexKeyEncoding.TrySplit(IndexKeyEncoding.EntryKey(indexKey, [0x00, 0x01]), out var ik, out var pk));
        Assert.Equal(indexKey, ik);
        Assert.Equal([0x00, 0x01], pk.ToArray());
        Assert.False(IndexKeyEncoding.TrySplit(IndexKeyEncoding.DocumentKey("k"u8), out _, out _));
        Assert.False(IndexKeyEncoding.TrySplit(IndexKeyEncoding.StatisticsKey, out _, out _));
        Assert.False(IndexKeyEncoding.TrySplit(IndexKeyEncoding.TermCountKey("k"u8), out _, out _));
    }

    [Fact]
    public void EntryKeys_SortByIndexKeyThenPrimaryKey()
    {
        var rng = new Random(Support.TestSeed.Get(1914));
        var pairs = Enumerable.Range(0, 500).Select(_ => (Bytes(rng), Bytes(rng))).ToList();
        var byPair = pairs.OrderBy(p => p.Item1, ByteKeys.Instance).ThenBy(p => p.Item2, ByteKeys.Instance).Select(p => IndexKeyEncoding.EntryKey(p.Item1, p.Item2)).ToList();
        var byEntry = pairs.Select(p => IndexKeyEncoding.EntryKey(p.Item1, p.Item2)).OrderBy(e => e, ByteKeys.Instance).ToList();
        Assert.Equal(byPair.Select(Convert.ToHexString), byEntry.Select(Convert.ToHexString));
    }

    private static byte[] Bytes(Random rng)
    {
        var b = new byte[rng.Next(0, 4)];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)rng.Next(0, 3) switch { 0 => 0x00, 1 => 0x01, _ => 0xFF };
        return b;
    }
}
