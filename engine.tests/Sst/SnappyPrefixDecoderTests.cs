using CsCheck;
using LatticeKV.Sst;
using LatticeKV.Tests.Fuzz;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Sst;

/// <summary>
/// The prefix decoder against Snappier: the same bytes for every stream Snappier decodes, decoded
/// whole or a part at a time, and a <see cref="CorruptionException"/> (never another exception)
/// for every stream it rejects.
/// </summary>
public class SnappyPrefixDecoderTests
{
    [Fact]
    public void DecodeTo_CompressedBlocks_MatchesSnappierWholeAndInParts()
    {
        int seed = TestSeed.Get(801);
        var rnd = new Random(seed);
        for (int n = 0; n < 400 * TestSeed.Scale; n++)
        {
            var contents = Compressible(rnd, rnd.Next(0, 9000));
            var stored = Compress(contents);
            var whole = new byte[contents.Length + SnappyPrefixDecoder.Slack];
            var decoder = new SnappyPrefixDecoder(stored);
            Assert.Equal(contents.Length, decoder.Length);
            decoder.DecodeTo(stored, whole, int.MaxValue);
            Assert.True(decoder.Done, $"seed={seed}, block {n}: not done");
            Assert.True(contents.AsSpan().SequenceEqual(whole.AsSpan(0, contents.Length)), $"seed={seed}, block {n}: whole decode differs");

            var parts = new byte[contents.Length + SnappyPrefixDecoder.Slack];
            decoder = new SnappyPrefixDecoder(stored);
            while (!decoder.Done)
            {
                int before = decoder.Decoded;
                decoder.DecodeTo(stored, parts, before + rnd.Next(1, 300));
                Assert.True(decoder.Decoded > before, $"seed={seed}, block {n}: no progress");
                Assert.True(contents.AsSpan(0, decoder.Decoded).SequenceEqual(parts.AsSpan(0, decoder.Decoded)), $"seed={seed}, block {n}: prefix of {decoder.Decoded} differs");
            }
        }
    }

    [Fact]
    public void DecodeTo_MutatedStreams_AgreeWithSnappierOrThrowCorruption()
    {
        var rnd = new Random(TestSeed.Get(802));
        var seedStream = Compress(Compressible(rnd, 3000));
        Mutations.Sample(seedStream, AgreesWithSnappier, 20_000 * TestSeed.Scale);
    }

    [Fact]
    public void DecodeTo_RandomBytes_AgreeWithSnappierOrThrowCorruption()
    {
        Gen.Byte.Array[0, 200].Sample(AgreesWithSnappier, iter: 20_000 * TestSeed.Scale, threads: 1);
    }

    [Fact]
    public void DecodeTo_OutputWithoutSlack_ThrowsArgumentException()
    {
        var stored = Compress(new byte[100]);
        var decoder = new SnappyPrefixDecoder(stored);
        Assert.Throws<ArgumentException>(() => decoder.DecodeTo(stored, new byte[100], 100));
    }

    /// <summary>Snappier's verdict on <paramref name="input"/>, and the prefix decoder's: equal output, or both reject it.</summary>
    private static void AgreesWithSnappier(byte[] input)
    {
        byte[]? expected = null;
        try
        {
            int size = Snappier.Snappy.GetUncompressedLength(input);
            if (size is >= 0 and <= 1 << 20)
            {
                var output = new byte[size];
                if (Snappier.Snappy.TryDecompress(input, output, out int written) && written == size) expected = output;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or ArgumentException or IndexOutOfRangeException)
        {
        }
        byte[]? actual = null;
        string? rejection = null;
        try
        {
            var decoder = new SnappyPrefixDecoder(input);
            if (decoder.Length <= 1 << 20)
            {
                var output = new byte[decoder.Length + SnappyPrefixDecoder.Slack];
                decoder.DecodeTo(input, output, decoder.Length);
                Assert.True(decoder.Done);
                actual = output[..decoder.Length];
            }
        }
        catch (CorruptionException ex)
        {
            rejection = ex.Reason;
        }
        if (expected is null) Assert.True(actual is null || actual.Length > 1 << 20, $"accepted what Snappier rejects: {Convert.ToHexString(input)}");
        else if (actual is null)
        {
            // Snappier stops once the declared length is written, ignoring a last tag that runs
            // past it and any bytes after; a block's stored bytes never hold either, so the prefix
            // decoder calls both damage.
            Assert.True(rejection is not null && rejection.Contains("declared length"), $"rejected what Snappier accepts ({rejection}): {Convert.ToHexString(input)}");
        }
        else Assert.Equal(expected, actual);
    }

    /// <summary>Block-like bytes: keys sharing prefixes, repeated runs, some noise.</summary>
    private static byte[] Compressible(Random rnd, int length)
    {
        var data = new byte[length];
        int i = 0;
        while (i < length)
        {
            int run = Math.Min(length - i, rnd.Next(1, 80));
            switch (rnd.Next(4))
            {
                case 0:
                    rnd.NextBytes(data.AsSpan(i, run));
                    break;
                case 1:
                    data.AsSpan(i, run).Fill((byte)rnd.Next(256));
                    break;
                default:
                    if (i > 0)
                    {
                        int from = rnd.Next(Math.Max(0, i - 2000), i);
                        for (int k = 0; k < run; k++) data[i + k] = data[from + k];
                    }
                    break;
            }
            i += run;
        }
        return data;
    }

    private static byte[] Compress(byte[] contents)
    {
        var output = new byte[Snappier.Snappy.GetMaxCompressedLength(contents.Length)];
        int written = Snappier.Snappy.Compress(contents, output);
        return output[..written];
    }
}
