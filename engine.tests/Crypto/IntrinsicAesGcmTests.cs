using System.Security.Cryptography;
using LatticeKV.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

public sealed class IntrinsicAesGcmTests
{
    [SkippableFact]
    public void MatchesThePlatformAesGcm_ForRandomKeysNoncesDataAndLengths()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, "this CPU lacks AES-NI or PCLMULQDQ: the platform AesGcm is used instead");
        int seed = TestSeed.Get(1717);
        var random = new Random(seed);
        int[] lengths = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 1000, 4096, 4111];
        for (int round = 0; round < 400; round++)
        {
            var key = new byte[32];
            var nonce = new byte[12];
            random.NextBytes(key);
            random.NextBytes(nonce);
            int length = round < lengths.Length ? lengths[round] : random.Next(0, 5000);
            var data = new byte[length];
            var ad = new byte[random.Next(0, round % 3 == 0 ? 0 : 80)];
            random.NextBytes(data);
            random.NextBytes(ad);

            var expectedCipher = new byte[length];
            var expectedTag = new byte[16];
            using (var platform = new AesGcm(key, 16)) platform.Encrypt(nonce, data, expectedCipher, expectedTag, ad);

            var mine = new IntrinsicAesGcm(key);
            var cipher = new byte[length];
            var tag = new byte[16];
            mine.Encrypt(nonce, data, cipher, tag, ad);
            Assert.True(expectedCipher.AsSpan().SequenceEqual(cipher), $"seed {seed} round {round}: ciphertext differs (length {length}, ad {ad.Length})");
            Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"seed {seed} round {round}: tag differs (length {length}, ad {ad.Length})");

            // In place, and a flipped bit anywhere fails.
            var buffer = (byte[])cipher.Clone();
            Assert.True(mine.TryDecrypt(nonce, buffer, tag, buffer, ad));
            Assert.Equal(data, buffer);
            if (length > 0)
            {
                var damaged = (byte[])cipher.Clone();
                damaged[random.Next(length)] ^= (byte)(1 << random.Next(8));
                Assert.False(mine.TryDecrypt(nonce, damaged, tag, new byte[length], ad));
            }
            var badTag = (byte[])tag.Clone();
            badTag[random.Next(16)] ^= 1;
            Assert.False(mine.TryDecrypt(nonce, cipher, badTag, new byte[length], ad));
        }
    }
}
