using System.Text;
using LatticeKV.Indexing;

namespace LatticeKV.Tests.Indexing;

/// <summary>Documents, a model of an index, and reading an index whole, for the index tests.</summary>
internal static class IndexSupport
{
    public static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    public static string S(ReadOnlySpan<byte> b) => Encoding.UTF8.GetString(b);

    public static byte[] Doc(string account, long height, string note = "") => B($"{{\"account\":\"{account}\",\"height\":{height},\"note\":\"{note}\"}}");

    /// <summary>Creates the index "by-account" (composite of <c>$.account</c> and <c>$.height</c>) on the default family and waits until it is ready.</summary>
    public static IndexHandle CreateByAccountHeight(LatticeDb db)
    {
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition
        {
            Name = "by-account",
            Extractor = IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.height")),
        });
        Xunit.Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        return index;
    }

    /// <summary>The hidden family of an index (tests compact and scan it directly).</summary>
    public static ColumnFamilyHandle EntriesOf(LatticeDb db, IndexHandle index) => index.Index.Entries;

    /// <summary>"indexKeyHex/primaryKey" per entry an iterator yields, in the order it yields them.</summary>
    public static List<string> Read(IndexIterator it, bool reverse)
    {
        var list = new List<string>();
        if (reverse) it.SeekToLast();
        else it.SeekToFirst();
        for (; it.Valid; MoveOn(it, reverse)) list.Add(Convert.ToHexString(it.IndexKey) + "/" + S(it.PrimaryKey) + "=" + S(it.Value));
        return list;
    }

    private static void MoveOn(IndexIterator it, bool reverse)
    {
        if (reverse) it.Prev();
        else it.Next();
    }

    /// <summary>What an index over <paramref name="model"/> must yield for index keys in [from, to) (to null: unbounded), via a filtered scan.</summary>
    public static List<string> Expected(SortedDictionary<string, byte[]> model, IndexExtractor extractor, Func<byte[], bool> selects, bool reverse)
    {
        var rows = new List<(byte[] IndexKey, string Key, string Value)>();
        foreach (var (key, value) in model)
        {
            var keys = new ExtractedKeys();
            extractor.Extract(B(key), value, keys);
            foreach (var k in keys.Keys)
                if (selects(k)) rows.Add((k, key, S(value)));
        }
        var ordered = rows.OrderBy(r => r.IndexKey, ByteKeys.Instance).ThenBy(r => B(r.Key), ByteKeys.Instance).Select(r => Convert.ToHexString(r.IndexKey) + "/" + r.Key + "=" + r.Value).ToList();
        if (reverse) ordered.Reverse();
        return ordered;
    }
}
