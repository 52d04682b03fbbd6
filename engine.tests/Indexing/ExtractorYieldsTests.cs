using System.Text;
using LatticeKV.Indexing;
using LatticeKV.Tests.Support;

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

    /// <summary>
    /// Composites of top-level JSON properties are checked in one pass over the value: random
    /// documents (properties repeated, reordered, missing, escaped, arrays, nested objects, numbers
    /// that are not integers, truncated or broken JSON) and keys yielded by other documents must get
    /// the answer full extraction gives, including a composite that names one property twice.
    /// </summary>
    [Fact]
    public void Yields_TopLevelJsonComposite_AgreesWithExtractOnRandomDocuments()
    {
        int seed = TestSeed.Get(7819);
        var rnd = new Random(seed);
        IndexExtractor[] composites =
        [
            IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.order")),
            IndexExtractors.Composite(IndexExtractors.JsonField("order"), IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.tags")),
            IndexExtractors.Composite(IndexExtractors.JsonField("$.account"), IndexExtractors.JsonField("$.account")),
        ];
        string[] names = ["account", "order", "tags", "note", "acc\u006funt"];
        string[] scalars = ["\"a\"", "\"b\"", "\"a\\u0000\"", "\"\\u0061\"", "1", "2", "-3", "1.5", "true", "false", "null", "{\"account\":\"a\"}", "[]", "[\"a\",1,[2],{\"x\":1}]", "[\"b\",true]"];
        string Document()
        {
            var props = Enumerable.Range(0, rnd.Next(0, 6)).Select(_ => $"\"{names[rnd.Next(names.Length)]}\":{scalars[rnd.Next(scalars.Length)]}");
            string doc = "{" + string.Join(",", props) + "}";
            return rnd.Next(8) switch
            {
                0 => doc[..rnd.Next(doc.Length + 1)], // truncated
                1 => doc.Insert(rnd.Next(doc.Length + 1), ",,"), // broken somewhere
                2 => "[" + doc + "]",
                _ => doc,
            };
        }
        var scratch = new ExtractedKeys();
        int agreed = 0, yielded = 0;
        for (int round = 0; round < 3_000 * TestSeed.Scale; round++)
        {
            var extractor = composites[rnd.Next(composites.Length)];
            var value = Encoding.UTF8.GetBytes(Document());
            var expected = new ExtractedKeys();
            extractor.Extract([], value, expected);
            var candidates = new List<byte[]>(expected.Keys);
            for (int other = 0; other < 4; other++)
            {
                scratch.Clear();
                extractor.Extract([], Encoding.UTF8.GetBytes(Document()), scratch);
                candidates.AddRange(scratch.Keys);
            }
            foreach (var candidate in candidates)
            {
                bool want = expected.Contains(candidate);
                Assert.True(want == extractor.Yields([], value, candidate, scratch),
                    $"seed={seed}, round {round}: {extractor} on {Encoding.UTF8.GetString(value)}, key {Convert.ToHexString(candidate)}, expected {want}");
                agreed++;
                if (want) yielded++;
            }
        }
        Assert.True(yielded > 100 && agreed > yielded * 2, $"seed={seed}: {yielded} yielded of {agreed} checked");
    }
}
