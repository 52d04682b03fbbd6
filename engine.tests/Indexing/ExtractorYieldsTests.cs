using System.Text;
using LatticeKV.Indexing;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// The in-place check a query makes per entry (<c>Yields</c>) must agree with full extraction for
/// every key the extractor yields and for near misses: zero bytes that need escaping, escaped JSON
/// strings, numbers, booleans, arrays, a nested composite, a missing part.
/// </summary>
public sealed class ExtractorYieldsTests
{
    private static readonly IndexExtractor[] Extractors =
    [
        IndexExtractors.JsonField("$.account"),
        IndexExtractors.JsonField("$.order"),
        IndexExtractors.JsonField("tags"),
        IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.order")),
        IndexExtractors.Composite(IndexExtractors.JsonField("tags"), IndexExtractors.JsonField("$.flag"), IndexExtractors.JsonField("$.order")),
        IndexExtractors.Composite(IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("tags")), IndexExtractors.JsonField("$.order")),
    ];

    private static readonly string[] Values =
    [
        """{"account":"alice","order":7,"tags":["a","b\u0000c",3],"flag":true}""",
        """{"account":"al\u0000ice","order":-7,"tags":[],"flag":false}""",
        """{"account":"b\"ob","order":9223372036854775807}""",
        """{"order":1,"tags":["x"]}""",
        "not json",
    ];

    [Fact]
    public void Yields_AgreesWithExtract_ForYieldedKeysAndNearMisses()
    {
        var scratch = new ExtractedKeys();
        int checkedKeys = 0;
        foreach (var extractor in Extractors)
        {
            var all = new List<byte[]>();
            foreach (var v in Values)
            {
                scratch.Clear();
                extractor.Extract([], Encoding.UTF8.GetBytes(v), scratch);
                all.AddRange(scratch.Keys);
            }
            var candidates = all.Concat(all.Select(k => k[..^1])).Concat(all.Select(k => (byte[])[.. k, 0])).Append([]).Append([0x00, 0x01]).ToList();
            foreach (var v in Values)
            {
                var value = Encoding.UTF8.GetBytes(v);
                var expected = new ExtractedKeys();
                extractor.Extract([], value, expected);
                foreach (var candidate in candidates)
                {
                    Assert.True(expected.Contains(candidate) == extractor.Yields([], value, candidate, scratch), $"{extractor} on {v}: key {Convert.ToHexString(candidate)}");
                    checkedKeys++;
                }
            }
        }
        Assert.True(checkedKeys > 100);
    }
}
