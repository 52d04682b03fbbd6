using System.Security.Cryptography;
using LatticeKV.Crypto;
using LatticeKV.Tests.Support;

namespace LatticeKV.Tests.Crypto;

public sealed class IntrinsicAesGcmTests
{
    private const string NoIntrinsics = "this CPU lacks AES-NI or PCLMULQDQ: the platform AesGcm is used instead";

    [SkippableFact]
    public void MatchesThePlatformAesGcm_ForRandomKeysNoncesDataAndLengths()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1717);
        var random = new Random(seed);
        int[] lengths = [0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 1000, 4096, 4111];
        for (int round = 0; round < 400; round++)
        {
            int length = round < lengths.Length ? lengths[round] : random.Next(0, 5000);
            CheckAgainstPlatform(random, seed, length, random.Next(0, round % 3 == 0 ? 0 : 80));
        }
    }

    [SkippableFact]
    public void MatchesThePlatformAesGcm_ForEveryLengthUpTo1100()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1718);
        var random = new Random(seed);
        // Every length through the first chunks (8 blocks each) and past the log records' 1 KiB;
        // associated data of every length through 300 (several chunks of its own).
        for (int length = 0; length <= 1100; length++) CheckAgainstPlatform(random, seed, length, length <= 300 ? length : random.Next(0, 300));
    }

    [SkippableFact]
    public void MatchesThePlatformAesGcm_ForTableBlockSizes()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1719);
        var random = new Random(seed);
        int[] lengths = [4095, 4096, 4097, 4096 + 127, 4096 + 128, 8192, 16384 + 5, 65536];
        foreach (int length in lengths) CheckAgainstPlatform(random, seed, length, 42);
    }

    [SkippableFact]
    public void Encrypt_IntoADirtyBufferOrInPlace_WritesExactlyItsOwnBytes()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1722);
        var random = new Random(seed);
        // Every length of the single-pass path (113 to 176 bytes) and around it: the output is a
        // slice of a larger buffer full of other bytes, which must be left as they were.
        for (int length = 0; length <= 300; length++)
        {
            var key = Bytes(random, 32);
            var nonce = Bytes(random, 12);
            var data = Bytes(random, length);
            var ad = Bytes(random, random.Next(0, 40));
            var expectedCipher = new byte[length];
            var expectedTag = new byte[16];
            using (var platform = new AesGcm(key, 16)) platform.Encrypt(nonce, data, expectedCipher, expectedTag, ad);
            var mine = new IntrinsicAesGcm(key);

            var dirty = Bytes(random, length + 40);
            var before = (byte[])dirty.Clone();
            var tag = new byte[16];
            mine.Encrypt(nonce, data, dirty.AsSpan(17, length), tag, ad);
            Assert.True(expectedCipher.AsSpan().SequenceEqual(dirty.AsSpan(17, length)), $"seed {seed}: length {length}: ciphertext in a dirty buffer differs");
            Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"seed {seed}: length {length}: tag differs");
            Assert.True(before.AsSpan(0, 17).SequenceEqual(dirty.AsSpan(0, 17)) && before.AsSpan(17 + length).SequenceEqual(dirty.AsSpan(17 + length)),
                $"seed {seed}: length {length}: bytes outside the output changed");

            var inPlace = Bytes(random, length + 40);
            var around = (byte[])inPlace.Clone();
            data.CopyTo(inPlace, 5);
            var span = inPlace.AsSpan(5, length);
            mine.Encrypt(nonce, span, span, tag, ad);
            Assert.True(expectedCipher.AsSpan().SequenceEqual(span), $"seed {seed}: length {length}: ciphertext sealed in place differs");
            Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"seed {seed}: length {length}: tag sealed in place differs");
            Assert.True(around.AsSpan(0, 5).SequenceEqual(inPlace.AsSpan(0, 5)) && around.AsSpan(5 + length).SequenceEqual(inPlace.AsSpan(5 + length)),
                $"seed {seed}: length {length}: bytes around an in-place seal changed");

            var opened = Bytes(random, length + 40);
            var openedBefore = (byte[])opened.Clone();
            Assert.True(mine.TryDecrypt(nonce, expectedCipher, expectedTag, opened.AsSpan(3, length), ad), $"seed {seed}: length {length}: does not open into a dirty buffer");
            Assert.True(data.AsSpan().SequenceEqual(opened.AsSpan(3, length)), $"seed {seed}: length {length}: opens to other bytes in a dirty buffer");
            Assert.True(openedBefore.AsSpan(0, 3).SequenceEqual(opened.AsSpan(0, 3)) && openedBefore.AsSpan(3 + length).SequenceEqual(opened.AsSpan(3 + length)),
                $"seed {seed}: length {length}: bytes outside the opened output changed");
        }
    }

    [SkippableFact]
    public void TryDecrypt_AnyFlippedBit_FailsAndClearsTheOutput()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1720);
        var random = new Random(seed);
        var key = Bytes(random, 32);
        var nonce = Bytes(random, 12);
        var data = Bytes(random, 150);
        var ad = Bytes(random, 33);
        var mine = new IntrinsicAesGcm(key);
        var cipher = new byte[data.Length];
        var tag = new byte[16];
        mine.Encrypt(nonce, data, cipher, tag, ad);
        // Every bit of the ciphertext, the tag, the associated data and the nonce.
        for (int part = 0; part < 4; part++)
        {
            var target = part switch { 0 => cipher, 1 => tag, 2 => ad, _ => nonce };
            for (int bit = 0; bit < target.Length * 8; bit++)
            {
                target[bit >> 3] ^= (byte)(1 << (bit & 7));
                var output = Bytes(random, data.Length);
                bool opened = mine.TryDecrypt(nonce, cipher, tag, output, ad);
                target[bit >> 3] ^= (byte)(1 << (bit & 7));
                Assert.False(opened, $"seed {seed}: part {part} bit {bit} flipped still opens");
                Assert.True(output.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"seed {seed}: part {part} bit {bit}: output not cleared");
            }
        }
        var plain = new byte[data.Length];
        Assert.True(mine.TryDecrypt(nonce, cipher, tag, plain, ad));
        Assert.Equal(data, plain);
    }

    [SkippableFact]
    public void EncryptPrehashed_SameAsEncrypt_InPlaceToo()
    {
        Skip.IfNot(IntrinsicAesGcm.IsSupported, NoIntrinsics);
        int seed = TestSeed.Get(1721);
        var random = new Random(seed);
        var mine = new IntrinsicAesGcm(Bytes(random, 32));
        var ad = Bytes(random, 33);
        var adHash = mine.HashAssociatedData(ad);
        foreach (int length in new[] { 0, 5, 130, 257, 1024 })
        {
            var nonce = Bytes(random, 12);
            var data = Bytes(random, length);
            var cipher = new byte[length];
            var tag = new byte[16];
            mine.Encrypt(nonce, data, cipher, tag, ad);
            var buffer = (byte[])data.Clone();
            var tag2 = new byte[16];
            mine.EncryptPrehashed(nonce, buffer, buffer, tag2, adHash, ad.Length);
            Assert.Equal(cipher, buffer);
            Assert.Equal(tag, tag2);
            Assert.True(mine.TryDecryptPrehashed(nonce, buffer, tag2, buffer, adHash, ad.Length), $"seed {seed}: length {length}");
            Assert.Equal(data, buffer);
        }
    }

    private static void CheckAgainstPlatform(Random random, int seed, int length, int adLength)
    {
        var key = Bytes(random, 32);
        var nonce = Bytes(random, 12);
        var data = Bytes(random, length);
        var ad = Bytes(random, adLength);

        var expectedCipher = new byte[length];
        var expectedTag = new byte[16];
        using (var platform = new AesGcm(key, 16)) platform.Encrypt(nonce, data, expectedCipher, expectedTag, ad);

        var mine = new IntrinsicAesGcm(key);
        var cipher = new byte[length];
        var tag = new byte[16];
        mine.Encrypt(nonce, data, cipher, tag, ad);
        Assert.True(expectedCipher.AsSpan().SequenceEqual(cipher), $"seed {seed}: ciphertext differs (length {length}, ad {ad.Length})");
        Assert.True(expectedTag.AsSpan().SequenceEqual(tag), $"seed {seed}: tag differs (length {length}, ad {ad.Length})");

        // In place, and a flipped bit anywhere fails.
        var buffer = (byte[])cipher.Clone();
        Assert.True(mine.TryDecrypt(nonce, buffer, tag, buffer, ad), $"seed {seed}: length {length} does not open");
        Assert.True(data.AsSpan().SequenceEqual(buffer), $"seed {seed}: length {length} opens to other bytes");
        if (length > 0)
        {
            var damaged = (byte[])cipher.Clone();
            damaged[random.Next(length)] ^= (byte)(1 << random.Next(8));
            Assert.False(mine.TryDecrypt(nonce, damaged, tag, new byte[length], ad), $"seed {seed}: length {length} damaged opens");
        }
        var badTag = (byte[])tag.Clone();
        badTag[random.Next(16)] ^= (byte)(1 << random.Next(8));
        Assert.False(mine.TryDecrypt(nonce, cipher, badTag, new byte[length], ad), $"seed {seed}: length {length} bad tag opens");
    }

    private static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
