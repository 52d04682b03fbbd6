using System.Globalization;
using LatticeKV.Indexing;
using LatticeKV.Tests.Support;
using Xunit.Abstractions;
using static LatticeKV.Tests.Indexing.IndexSupport;

namespace LatticeKV.Tests.Indexing;

/// <summary>
/// <see cref="PostingCursor"/> against point probes (<see cref="PostingReads.TryProbe"/>): for
/// every term of a random corpus with overwrites and deletes (lazily, stale postings stay), the
/// walk answers every ascending lookup, present or not, exactly as the probe does.
/// </summary>
public sealed class PostingCursorTests(ITestOutputHelper output)
{
    private static readonly string[] s_words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];

    [Theory]
    [InlineData(false, 7201)]
    [InlineData(true, 7202)]
    public void TryFind_AscendingLookups_EqualsProbes(bool lazy, int fallbackSeed)
    {
        int seed = TestSeed.Get(fallbackSeed);
        output.WriteLine($"seed {seed} (LKV_SEED to replay), lazy {lazy}");
        var rng = new Random(seed);
        using var dir = new TempDir("posting-cursor");
        using var db = LatticeDb.Open(dir.Path, new DbOptions { WriteBufferSize = 64 * 1024, IndexMaintenance = lazy ? IndexMaintenance.Lazy : IndexMaintenance.Eager });
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "text", Extractor = IndexExtractors.Text() });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        const int documents = 600;
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < documents; i++)
            {
                if (round > 0 && rng.Next(3) != 0) continue;
                if (round > 0 && rng.Next(5) == 0) db.Delete(Key(i));
                else db.Put(Key(i), B(string.Join(' ', Enumerable.Range(0, rng.Next(1, 6)).Select(_ => s_words[rng.Next(s_words.Length)]))));
            }
            if (round == 1) db.Flush();
        }

        using var snapshot = db.GetSnapshot();
        var read = new ReadOptions { Snapshot = snapshot };
        int found = 0;
        foreach (var word in s_words.Append("absent"))
        {
            byte[] prefix = IndexKeyEncoding.ExactPrefix(B(word));
            byte[] probe = [];
            using var cursor = new PostingCursor(db, index.Index, prefix, read);
            // Every document key, with keys between and around them (no posting can hold those), in ascending order; some asked twice.
            for (int i = -1; i <= documents; i++)
            {
                foreach (var key in new[] { Key(i), B(S(Key(i)) + "!") })
                {
                    int times = rng.Next(8) == 0 ? 2 : 1;
                    for (int t = 0; t < times; t++)
                    {
                        bool expected = PostingReads.TryProbe(db, index.Index, prefix, key, ref probe, read, out int tf, out long length);
                        bool actual = cursor.TryFind(key, out int walkedTf, out long walkedLength);
                        Assert.True(expected == actual && tf == walkedTf && length == walkedLength,
                            $"{word} in {S(key)}: probe {expected} ({tf}, {length}), walk {actual} ({walkedTf}, {walkedLength})");
                        if (actual) found++;
                    }
                }
            }
        }
        Assert.True(found > documents, $"the words should have postings, found {found}");
    }

    [Fact]
    public void TryFind_KeyBelowThePrevious_Throws()
    {
        using var dir = new TempDir("posting-cursor-order");
        using var db = LatticeDb.Open(dir.Path, new DbOptions());
        var index = db.CreateIndex(db.DefaultColumnFamily, new IndexDefinition { Name = "text", Extractor = IndexExtractors.Text() });
        Assert.True(index.WaitUntilReady(TimeSpan.FromSeconds(30)));
        db.Put(B("d1"), B("word"));
        db.Put(B("d2"), B("word"));
        using var cursor = new PostingCursor(db, index.Index, IndexKeyEncoding.ExactPrefix(B("word")), new ReadOptions());
        Assert.True(cursor.TryFind(B("d2"), out int tf, out _));
        Assert.Equal(1, tf);
        Assert.Throws<InvalidOperationException>(() => cursor.TryFind(B("d1"), out _, out _));
    }

    private static byte[] Key(int i) => B("doc" + i.ToString("D5", CultureInfo.InvariantCulture));
}
