using CsCheck;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Fuzz;

/// <summary>
/// Property tests over the decoders of encrypted structures (<see cref="CryptoFuzzTargets"/>):
/// random bytes and mutations of valid inputs may only raise <see cref="CorruptionException"/>
/// or <see cref="EncryptionKeyException"/>. CsCheck prints the seed of a failure. LKV_LONG=1 runs ten times longer.
/// </summary>
public class CryptoFuzzTests
{
    public static TheoryData<string> Targets => [.. CryptoFuzzTargets.All.Keys];

    private static int Iterations(int baseline) => baseline * TestSeed.Scale;

    [Theory]
    [MemberData(nameof(Targets))]
    public void RandomBytes_OnlyCorruptionOrKeyErrors(string target)
        => Gen.Byte.Array[0, 400].Sample(bytes => CryptoFuzzTargets.Run(target, bytes), iter: Iterations(3000), threads: 1);

    [Theory]
    [MemberData(nameof(Targets))]
    public void MutatedValidInput_OnlyCorruptionOrKeyErrors(string target)
    {
        var seed = CryptoFuzzTargets.ValidSeed(target);
        Mutations.Sample(seed, input => CryptoFuzzTargets.Run(target, input), Iterations(3000));
    }

    [Fact]
    public void ValidSeeds_OpenWithoutError()
    {
        // The seeds must really reach the code behind the checks: each opens cleanly.
        foreach (var target in CryptoFuzzTargets.All.Keys)
            CryptoFuzzTargets.All[target](CryptoFuzzTargets.ValidSeed(target));
    }
}
