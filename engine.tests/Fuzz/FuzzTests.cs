using CsCheck;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Fuzz;

/// <summary>
/// Property tests over the decoders of every on-disk structure: random bytes and mutations of
/// valid inputs (for tables, with checksums recomputed so mutations reach the parsers) may only
/// raise <see cref="CorruptionException"/>. CsCheck prints the seed of a failure; the shrunk
/// input belongs in Fuzz/corpus/&lt;target&gt;/ as a regression test. LKV_LONG=1 runs ten times longer.
/// </summary>
public class FuzzTests
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys];

    private static int Iterations(int baseline) => baseline * TestSeed.Scale;

    [Theory]
    [MemberData(nameof(Targets))]
    public void RandomBytes_OnlyCorruption(string target)
        => Gen.Byte.Array[0, 600].Sample(bytes => FuzzTargets.Run(target, bytes), iter: Iterations(3000), threads: 1);

    [Theory]
    [MemberData(nameof(Targets))]
    public void MutatedValidInput_OnlyCorruption(string target)
    {
        var seed = FuzzTargets.ValidSeed(target);
        Mutations.Sample(seed, input =>
        {
            if (target == "table") input = FuzzTargets.FixTableChecksums(input, seed);
            FuzzTargets.Run(target, input);
        }, Iterations(3000));
    }

    public static TheoryData<string, string> Corpus
    {
        get
        {
            var data = new TheoryData<string, string>();
            string root = Path.Combine(FormatTests.RepoRoot(), "engine.tests", "Fuzz", "corpus");
            foreach (var dir in Directory.EnumerateDirectories(root))
                foreach (var file in Directory.EnumerateFiles(dir, "*.hex"))
                    data.Add(Path.GetFileName(dir), Path.GetFileName(file));
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Corpus))]
    public void CorpusInput_OnlyCorruption(string target, string file)
    {
        string path = Path.Combine(FormatTests.RepoRoot(), "engine.tests", "Fuzz", "corpus", target, file);
        var bytes = Convert.FromHexString(string.Concat(File.ReadAllLines(path).Where(l => !l.StartsWith('#')).Select(l => l.Trim())));
        FuzzTargets.Run(target, bytes);
    }
}
