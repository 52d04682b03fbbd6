using System.Text;
using LatticeKV.Cache;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Cache;

public class PrefixTransitionModelTests
{
    private static byte[] P(string s) => Encoding.ASCII.GetBytes(s);

    private static List<string> Predict(PrefixTransitionModel model, string from, double confidence = 0.3)
    {
        var into = new List<byte[]>();
        model.Predict(P(from), confidence, into);
        return [.. into.Select(Encoding.ASCII.GetString)];
    }

    [Fact]
    public void Predict_RepeatedTransition_Predicted()
    {
        var model = new PrefixTransitionModel(100);
        model.Record(P("a"), P("b"));
        Assert.Empty(Predict(model, "a")); // seen once: not yet a habit
        model.Record(P("a"), P("b"));
        model.Record(P("a"), P("c"));
        Assert.Equal(["b"], Predict(model, "a"));
    }

    [Fact]
    public void Record_ManyPrefixes_BoundedAndRecentKept()
    {
        int seed = TestSeed.Get(225);
        var random = new Random(seed);
        var model = new PrefixTransitionModel(64);
        for (int i = 0; i < 20_000; i++) model.Record(P($"p{random.Next(1_000_000)}"), P($"q{random.Next(1_000_000)}"));
        Assert.Equal(64, model.Count);
        model.Record(P("hot"), P("next"));
        model.Record(P("hot"), P("next"));
        Assert.Equal(["next"], Predict(model, "hot"));
    }

    [Fact]
    public void Record_ManySuccessors_TopKKeptAndHabitsChange()
    {
        var model = new PrefixTransitionModel(16);
        for (int i = 0; i < 40; i++) model.Record(P("a"), P("old"));
        for (int i = 0; i < 100; i++) model.Record(P("a"), P($"noise{i}"));
        // Decay halves counts: a new habit overtakes the old one.
        for (int i = 0; i < 200; i++) model.Record(P("a"), P("new"));
        Assert.Equal(["new"], Predict(model, "a"));
    }
}
