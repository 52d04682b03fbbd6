using System.Security.Cryptography;
using System.Text;
using LatticeKV.Ledger;
using LatticeKV.Tests.Fuzz;

namespace LatticeKV.Tests.Ledger;

/// <summary>Signed checkpoints: the C2SP signed-note text form, signatures, key ids, hostile text.</summary>
public class LedgerCheckpointTests
{
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeMilliseconds(1_765_000_000_123);

    [Fact]
    public void ToString_SignedCheckpoint_IsASignedNoteThatParsesAndVerifies()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var checkpoint = LedgerCheckpoint.Sign("example.org/ledger", 8, RfcVectors.Roots[7], Time, "example.org/ledger", key);
        string text = checkpoint.ToString();
        var lines = text.Split('\n');
        Assert.Equal("example.org/ledger", lines[0]);
        Assert.Equal("8", lines[1]);
        Assert.Equal("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=", lines[2]);
        Assert.Equal("timestamp 1765000000123", lines[3]);
        Assert.Equal("", lines[4]);
        Assert.StartsWith("\u2014 example.org/ledger ", lines[5], StringComparison.Ordinal);
        Assert.Equal("", lines[6]);

        var parsed = LedgerCheckpoint.Parse(text);
        Assert.Equal(8, parsed.TreeSize);
        Assert.Equal(RfcVectors.Roots[7], parsed.RootHash);
        Assert.Equal(Time, parsed.Timestamp);
        Assert.Equal("example.org/ledger", parsed.Origin);
        Assert.Equal(text, parsed.ToString());
        Assert.True(parsed.Verify(key.ExportSubjectPublicKeyInfo()));
        Assert.True(parsed.Verify(key));
    }

    [Fact]
    public void KeyId_IsFirstFourBytesOfSha256OfThePublicKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var checkpoint = LedgerCheckpoint.Sign("o", 1, RfcVectors.Roots[0], Time, "k", key);
        var hash = SHA256.HashData(spki);
        Assert.Equal((uint)(hash[0] << 24 | hash[1] << 16 | hash[2] << 8 | hash[3]), checkpoint.KeyId);
        var sig = Convert.FromBase64String(checkpoint.ToString().Split('\n')[5].Split(' ')[2]);
        Assert.Equal(hash[..4], sig[..4]);
        Assert.Equal(checkpoint.Signature, sig[4..]);
    }

    [Fact]
    public void Verify_OtherKeyOrChangedText_False()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var checkpoint = LedgerCheckpoint.Sign("o", 5, RfcVectors.Roots[4], Time, "k", key);
        Assert.False(checkpoint.Verify(other.ExportSubjectPublicKeyInfo()));
        Assert.False(checkpoint.Verify([1, 2, 3]));
        Assert.False(checkpoint.Verify([]));
        string text = checkpoint.ToString();
        Assert.False(LedgerCheckpoint.Parse(text.Replace("\n5\n", "\n6\n", StringComparison.Ordinal)).Verify(key));
        Assert.False(LedgerCheckpoint.Parse(text.Replace("timestamp 1765000000123", "timestamp 1765000000124", StringComparison.Ordinal)).Verify(key));
    }

    [Fact]
    public void Parse_MalformedText_ThrowsInvalidArgument()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string text = LedgerCheckpoint.Sign("o", 5, RfcVectors.Roots[4], Time, "k", key).ToString();
        foreach (var bad in new[]
        {
            "", "\n", text[..^1], text.Replace("\n5\n", "\n05\n", StringComparison.Ordinal), text.Replace("\n5\n", "\n-5\n", StringComparison.Ordinal),
            text.Replace("\n\n", "\nextra\n\n", StringComparison.Ordinal), text + text, text.Replace("timestamp", "time", StringComparison.Ordinal),
            text.Replace("\u2014", "-", StringComparison.Ordinal), "o\n5\nAAAA\ntimestamp 1\n\n\u2014 k AAAAAAA=\n",
        })
        {
            Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Parse(bad));
            Assert.False(LedgerCheckpoint.TryParse(bad, out _));
        }
        Assert.False(LedgerCheckpoint.TryParse(null, out _));
    }

    [Fact]
    public void Sign_BadNamesOrKey_ThrowInvalidArgument()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Sign("two\nlines", 1, RfcVectors.Roots[0], Time, "k", key));
        Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Sign("o", 1, RfcVectors.Roots[0], Time, "has space", key));
        Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Sign("o", 1, [1, 2], Time, "k", key));
        Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Sign("o", 1, RfcVectors.Roots[0], Time, "k", p384));
    }

    [Fact]
    public void Parse_MutatedText_NeverThrowsAnythingElseAndNeverVerifiesChanged()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        string text = LedgerCheckpoint.Sign("example.org/ledger", 123456, RfcVectors.Roots[3], Time, "example.org/ledger", key).ToString();
        Mutations.Sample(Encoding.UTF8.GetBytes(text), input =>
        {
            string mutated = Encoding.UTF8.GetString(input);
            if (!LedgerCheckpoint.TryParse(mutated, out var parsed))
            {
                Assert.Throws<InvalidArgumentException>(() => LedgerCheckpoint.Parse(mutated));
                return;
            }
            // A parsed mutation verifies only if its signed content is unchanged.
            if (parsed.Verify(spki)) Assert.Equal(text.Split("\n\n")[0], parsed.ToString().Split("\n\n")[0]);
        }, iterations: 3000);
    }
}
