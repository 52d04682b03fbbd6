using System.Buffers.Binary;
using CsCheck;
using LatticeKV.Coding;
using LatticeKV.Db;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Db;

public class HotSetFileTests
{
    [Fact]
    public void Decode_Encoded_RoundTrips()
    {
        var blocks = new List<HotBlock> { new(7, 0, 4096), new(7, 4101, 3990), new(long.MaxValue, long.MaxValue, uint.MaxValue) };
        Assert.Equal(blocks, HotSetFile.Decode(HotSetFile.Encode(blocks), "HOTSET"));
        Assert.Empty(HotSetFile.Decode(HotSetFile.Encode([]), "HOTSET"));
    }

    [Fact]
    public void Encode_FormatMdWorkedExample_Matches()
    {
        const string example = "4c 48 4f 54 01 00 00 00 01 00 00 00 07 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10 00 00 88 31 66 43";
        Assert.Equal(example.Replace(" ", "", StringComparison.Ordinal), Convert.ToHexString(HotSetFile.Encode([new HotBlock(7, 0, 4096)])).ToLowerInvariant());
        Assert.Contains(example, File.ReadAllText(Path.Combine(FormatTests.RepoRoot(), "FORMAT.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_CountBeyondLength_Corruption()
    {
        var bytes = HotSetFile.Encode([new HotBlock(1, 2, 3)]);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), uint.MaxValue);
        var ex = Assert.Throws<CorruptionException>(() => HotSetFile.Decode(bytes, "/d/HOTSET"));
        Assert.Equal("/d/HOTSET", ex.FilePath);
    }

    [Fact]
    public void Decode_MutatedWithValidChecksum_OnlyCorruption()
    {
        // Mutations with the checksum recomputed reach the parser behind it.
        var seed = HotSetFile.Encode([new HotBlock(7, 0, 4096), new HotBlock(9, 812, 77)]);
        Gen.Select(Gen.Int[0, seed.Length - 5], Gen.Byte, Gen.Int[-8, 8]).Sample(t =>
        {
            var (at, value, cut) = t;
            var body = seed[..^4].ToArray();
            body[at] = value;
            if (cut > 0) body = body[..Math.Max(0, body.Length - cut)];
            else if (cut < 0) body = [.. body, .. new byte[-cut]];
            var bytes = new byte[body.Length + 4];
            body.CopyTo(bytes, 0);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(body.Length), Crc32C.Mask(Crc32C.Compute(body)));
            try { HotSetFile.Decode(bytes, "HOTSET"); }
            catch (CorruptionException) { }
        }, iter: 3000 * TestSeed.Scale, threads: 1);
    }
}
