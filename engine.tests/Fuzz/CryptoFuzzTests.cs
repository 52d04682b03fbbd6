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
        CryptoFuzzTargets.Run(target, seed); // the seed itself is accepted
        var mutations = Gen.Select(Gen.Int[0, 3], Gen.Int[0, Math.Max(0, seed.Length - 1)].Array[1, 6], Gen.Byte.Array[6], Gen.Int[0, seed.Length]);
        mutations.Sample((kind, positions, values, cut) =>
        {
            var input = seed.ToArray();
            switch (kind)
            {
                case 0:
                    for (int i = 0; i < positions.Length; i++) input[positions[i]] ^= (byte)(values[i] | 1);
                    break;
                case 1:
                    for (int i = 0; i < positions.Length; i++) input[positions[i]] = values[i];
                    break;
                case 2:
                    input = input[..cut];
                    break;
                default:
                    input = [.. input[..cut], .. values, .. input[cut..]];
                    break;
            }
            CryptoFuzzTargets.Run(target, input);
        }, iter: Iterations(3000), threads: 1);
    }

    [Fact]
    public void ValidSeeds_OpenWithoutError()
    {
        // The seeds must really reach the code behind the checks: each opens cleanly.
        foreach (var target in CryptoFuzzTargets.All.Keys)
            CryptoFuzzTargets.All[target](CryptoFuzzTargets.ValidSeed(target));
    }
}
