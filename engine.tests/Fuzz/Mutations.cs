using CsCheck;

namespace LatticeKV.Tests.Fuzz;

/// <summary>Mutations of a valid input for the fuzz tests: bits flipped, bytes set, the input cut short, bytes inserted.</summary>
internal static class Mutations
{
    /// <summary>Runs <paramref name="check"/> on <paramref name="iterations"/> mutations of <paramref name="seed"/>; CsCheck prints the seed of a failure.</summary>
    public static void Sample(byte[] seed, Action<byte[]> check, int iterations)
    {
        var mutations = Gen.Select(Gen.Int[0, 3], Gen.Int[0, Math.Max(0, seed.Length - 1)].Array[1, 6], Gen.Byte.Array[6], Gen.Int[0, seed.Length]);
        mutations.Sample((kind, positions, values, cut) => check(Apply(seed, kind, positions, values, cut)), iter: iterations, threads: 1);
    }

    private static byte[] Apply(byte[] seed, int kind, int[] positions, byte[] values, int cut)
    {
        var input = seed.ToArray();
        switch (kind)
        {
            case 0:
                for (int i = 0; i < positions.Length; i++) input[positions[i]] ^= (byte)(values[i] | 1);
                return input;
            case 1:
                for (int i = 0; i < positions.Length; i++) input[positions[i]] = values[i];
                return input;
            case 2:
                return input[..cut];
            default:
                return [.. input[..cut], .. values, .. input[cut..]];
        }
    }
}
