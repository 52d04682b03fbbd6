using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// AES-256-GCM (NIST SP 800-38D, 96-bit nonces, 128-bit tags) on the CPU's AES and
/// carry-less-multiply instructions, for the small messages sealed on the write path (one log
/// record per write group): the platform's <see cref="AesGcm"/> costs a fixed amount per call
/// that is larger than the cipher work for a short record. Byte-for-byte the same output as
/// <see cref="AesGcm"/> (a differential test checks random keys, nonces, data and lengths
/// against it); used only where <see cref="IsSupported"/>. GHASH follows Intel's carry-less
/// multiplication white paper (Gueron and Kounavis, 2014). Thread-safe after construction: it
/// holds only the expanded key and the hash key.
/// </summary>
[SkipLocalsInit]
internal sealed class IntrinsicAesGcm
{
    public const int TagSize = 16;
    public const int NonceSize = 12;
    private const int Rounds = 14;

    private static readonly Vector128<byte> s_reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[Rounds + 1];
    private readonly Vector128<ulong> _h; // the hash key, byte-reversed
    private readonly Vector128<ulong> _h2, _h3, _h4; // its powers, for four blocks per reduction

    public IntrinsicAesGcm(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key.", nameof(key));
        ExpandKey(key, _roundKeys);
        _h = Ssse3.Shuffle(EncryptBlock(Vector128<byte>.Zero), s_reverse).AsUInt64();
        _h2 = GfMul(_h, _h);
        _h3 = GfMul(_h2, _h);
        _h4 = GfMul(_h3, _h);
    }

    /// <summary>AES-NI, PCLMULQDQ and SSSE3 are present (x64).</summary>
    public static bool IsSupported => System.Runtime.Intrinsics.X86.Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        => EncryptPrehashed(nonce, plaintext, ciphertext, tag, HashAssociatedData(associatedData), associatedData.Length);

    /// <summary>GHASH of associated data alone: a caller sealing many messages with the same associated data computes it once.</summary>
    public Vector128<ulong> HashAssociatedData(ReadOnlySpan<byte> associatedData) => Ghash(Vector128<ulong>.Zero, associatedData);

    /// <summary><see cref="Encrypt"/> with the associated data's hash (<see cref="HashAssociatedData"/>) and length given.</summary>
    public void EncryptPrehashed(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, Vector128<ulong> adHash, int adLength)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize || ciphertext.Length != plaintext.Length) throw new ArgumentException("bad nonce, tag or output length");
        var mask = Ctr(nonce, plaintext, ciphertext);
        var y = Ghash(adHash, ciphertext);
        y = Lengths(y, adLength, ciphertext.Length);
        Sse2.Xor(Ssse3.Shuffle(y.AsByte(), s_reverse), mask).CopyTo(tag);
    }

    /// <summary>Opens <paramref name="ciphertext"/> into <paramref name="plaintext"/> (which may be the same span); false, with the output cleared, when the tag does not match.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        => TryDecryptPrehashed(nonce, ciphertext, tag, plaintext, HashAssociatedData(associatedData), associatedData.Length);

    /// <summary><see cref="TryDecrypt"/> with the associated data's hash and length given.</summary>
    public bool TryDecryptPrehashed(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, Vector128<ulong> adHash, int adLength)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize || ciphertext.Length != plaintext.Length) return false;
        // The hash covers the ciphertext: computed before an in-place decryption overwrites it.
        var y = Ghash(adHash, ciphertext);
        y = Lengths(y, adLength, ciphertext.Length);
        var mask = Ctr(nonce, ciphertext, plaintext);
        var expected = Sse2.Xor(Ssse3.Shuffle(y.AsByte(), s_reverse), mask);
        Span<byte> computed = stackalloc byte[TagSize];
        expected.CopyTo(computed);
        if (!CryptographicOperations.FixedTimeEquals(computed, tag))
        {
            plaintext.Clear();
            return false;
        }
        return true;
    }

    private static Vector128<byte> CounterBlock(ReadOnlySpan<byte> nonce, uint counter)
    {
        Span<byte> block = stackalloc byte[16];
        nonce.CopyTo(block);
        BinaryPrimitives.WriteUInt32BigEndian(block[12..], counter);
        return Vector128.Create((ReadOnlySpan<byte>)block);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> WithCounter(Vector128<byte> j0, uint counter)
        => j0.AsUInt32().WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte();

    /// <summary>
    /// CTR mode from counter 2 into <paramref name="output"/> (which may be <paramref name="input"/>);
    /// returns the encryption of counter 1, which masks the tag. All counter blocks, that one
    /// included, go through the cipher four at a time.
    /// </summary>
    private Vector128<byte> Ctr(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output)
    {
        var j0 = CounterBlock(nonce, 1);
        var mask = Vector128<byte>.Zero;
        int blocks = (input.Length + 15) >> 4;
        // Keystream block i is counter i + 1: block 0 masks the tag, block i >= 1 encrypts data block i - 1.
        for (int b = 0; b <= blocks; b += 4)
        {
            var k0 = WithCounter(j0, (uint)b + 1);
            var k1 = WithCounter(j0, (uint)b + 2);
            var k2 = WithCounter(j0, (uint)b + 3);
            var k3 = WithCounter(j0, (uint)b + 4);
            EncryptFour(ref k0, ref k1, ref k2, ref k3);
            if (b == 0) mask = k0;
            else XorBlock(input, output, b - 1, k0);
            if (b + 1 <= blocks) XorBlock(input, output, b, k1);
            if (b + 2 <= blocks) XorBlock(input, output, b + 1, k2);
            if (b + 3 <= blocks) XorBlock(input, output, b + 2, k3);
        }
        return mask;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorBlock(ReadOnlySpan<byte> input, Span<byte> output, int block, Vector128<byte> keystream)
    {
        int offset = block << 4;
        int length = Math.Min(16, input.Length - offset);
        if (length == 16)
        {
            Sse2.Xor(keystream, Vector128.Create(input.Slice(offset, 16))).CopyTo(output.Slice(offset, 16));
            return;
        }
        Span<byte> bytes = stackalloc byte[16];
        keystream.CopyTo(bytes);
        for (int j = 0; j < length; j++) output[offset + j] = (byte)(input[offset + j] ^ bytes[j]);
        bytes.Clear();
    }

    private Vector128<ulong> Ghash(Vector128<ulong> y, ReadOnlySpan<byte> data)
    {
        int i = 0;
        // Four blocks per reduction: Y' = (Y ^ X1)·H^4 ^ X2·H^3 ^ X3·H^2 ^ X4·H.
        for (; i + 64 <= data.Length; i += 64)
        {
            var x1 = Sse2.Xor(y, Ssse3.Shuffle(Vector128.Create(data.Slice(i, 16)), s_reverse).AsUInt64());
            var x2 = Ssse3.Shuffle(Vector128.Create(data.Slice(i + 16, 16)), s_reverse).AsUInt64();
            var x3 = Ssse3.Shuffle(Vector128.Create(data.Slice(i + 32, 16)), s_reverse).AsUInt64();
            var x4 = Ssse3.Shuffle(Vector128.Create(data.Slice(i + 48, 16)), s_reverse).AsUInt64();
            Multiply(x1, _h4, out var lo, out var hi);
            Multiply(x2, _h3, out var lo2, out var hi2);
            Multiply(x3, _h2, out var lo3, out var hi3);
            Multiply(x4, _h, out var lo4, out var hi4);
            lo = Sse2.Xor(Sse2.Xor(lo, lo2), Sse2.Xor(lo3, lo4));
            hi = Sse2.Xor(Sse2.Xor(hi, hi2), Sse2.Xor(hi3, hi4));
            y = Reduce(lo, hi);
        }
        for (; i + 16 <= data.Length; i += 16)
            y = GfMul(Sse2.Xor(y, Ssse3.Shuffle(Vector128.Create(data.Slice(i, 16)), s_reverse).AsUInt64()), _h);
        if (i < data.Length)
        {
            Span<byte> last = stackalloc byte[16];
            last.Clear();
            data[i..].CopyTo(last);
            y = GfMul(Sse2.Xor(y, Ssse3.Shuffle(Vector128.Create((ReadOnlySpan<byte>)last), s_reverse).AsUInt64()), _h);
        }
        return y;
    }

    private Vector128<ulong> Lengths(Vector128<ulong> y, int adLength, int dataLength)
    {
        Span<byte> block = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(block, (ulong)adLength * 8);
        BinaryPrimitives.WriteUInt64BigEndian(block[8..], (ulong)dataLength * 8);
        return GfMul(Sse2.Xor(y, Ssse3.Shuffle(Vector128.Create((ReadOnlySpan<byte>)block), s_reverse).AsUInt64()), _h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> x)
    {
        ref var rk = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_roundKeys);
        x = Sse2.Xor(x, rk);
        for (int r = 1; r < Rounds; r++) x = System.Runtime.Intrinsics.X86.Aes.Encrypt(x, Unsafe.Add(ref rk, r));
        return System.Runtime.Intrinsics.X86.Aes.EncryptLast(x, Unsafe.Add(ref rk, Rounds));
    }

    private void EncryptFour(ref Vector128<byte> a, ref Vector128<byte> b, ref Vector128<byte> c, ref Vector128<byte> d)
    {
        ref var rk = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_roundKeys);
        a = Sse2.Xor(a, rk);
        b = Sse2.Xor(b, rk);
        c = Sse2.Xor(c, rk);
        d = Sse2.Xor(d, rk);
        for (int r = 1; r < Rounds; r++)
        {
            var k = Unsafe.Add(ref rk, r);
            a = System.Runtime.Intrinsics.X86.Aes.Encrypt(a, k);
            b = System.Runtime.Intrinsics.X86.Aes.Encrypt(b, k);
            c = System.Runtime.Intrinsics.X86.Aes.Encrypt(c, k);
            d = System.Runtime.Intrinsics.X86.Aes.Encrypt(d, k);
        }
        var last = Unsafe.Add(ref rk, Rounds);
        a = System.Runtime.Intrinsics.X86.Aes.EncryptLast(a, last);
        b = System.Runtime.Intrinsics.X86.Aes.EncryptLast(b, last);
        c = System.Runtime.Intrinsics.X86.Aes.EncryptLast(c, last);
        d = System.Runtime.Intrinsics.X86.Aes.EncryptLast(d, last);
    }

    /// <summary>The AES-256 key schedule with AESKEYGENASSIST (Intel's AES-NI white paper, Gueron 2010).</summary>
    private static void ExpandKey(ReadOnlySpan<byte> key, Vector128<byte>[] rk)
    {
        var t1 = Vector128.Create(key[..16]);
        var t3 = Vector128.Create(key.Slice(16, 16));
        rk[0] = t1;
        rk[1] = t3;
        ReadOnlySpan<byte> rcon = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40];
        for (int i = 0; i < 7; i++)
        {
            var t2 = KeygenAssist(t3, rcon[i]);
            t1 = Assist1(t1, t2);
            rk[2 + 2 * i] = t1;
            if (i == 6) break;
            t3 = Assist2(t1, t3);
            rk[3 + 2 * i] = t3;
        }
    }

    private static Vector128<byte> KeygenAssist(Vector128<byte> x, byte rcon) => rcon switch
    {
        0x01 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x01),
        0x02 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x02),
        0x04 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x04),
        0x08 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x08),
        0x10 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x10),
        0x20 => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x20),
        _ => System.Runtime.Intrinsics.X86.Aes.KeygenAssist(x, 0x40),
    };

    private static Vector128<byte> Assist1(Vector128<byte> t1, Vector128<byte> t2)
    {
        t2 = Sse2.Shuffle(t2.AsInt32(), 0xff).AsByte();
        return Sse2.Xor(PrefixXor(t1), t2);
    }

    /// <summary>Each 32-bit word XORed with every word below it (the schedule's running XOR).</summary>
    private static Vector128<byte> PrefixXor(Vector128<byte> t)
    {
        var shifted = Sse2.ShiftLeftLogical128BitLane(t, 4);
        t = Sse2.Xor(t, shifted);
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        t = Sse2.Xor(t, shifted);
        shifted = Sse2.ShiftLeftLogical128BitLane(shifted, 4);
        return Sse2.Xor(t, shifted);
    }

    private static Vector128<byte> Assist2(Vector128<byte> t1, Vector128<byte> t3)
    {
        var t4 = System.Runtime.Intrinsics.X86.Aes.KeygenAssist(t1, 0x00);
        var t2 = Sse2.Shuffle(t4.AsInt32(), 0xaa).AsByte();
        return Sse2.Xor(PrefixXor(t3), t2);
    }

    /// <summary>Multiplication in GF(2^128) of byte-reversed operands, reduced by x^128 + x^7 + x^2 + x + 1 (the white paper's gfmul).</summary>
    private static Vector128<ulong> GfMul(Vector128<ulong> a, Vector128<ulong> b)
    {
        Multiply(a, b, out var lo, out var hi);
        return Reduce(lo, hi);
    }

    /// <summary>The 256-bit carry-less product hi:lo of <paramref name="a"/> and <paramref name="b"/> (linear: products may be XORed before one reduction).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Multiply(Vector128<ulong> a, Vector128<ulong> b, out Vector128<ulong> lo, out Vector128<ulong> hi)
    {
        var tmp3 = Pclmulqdq.CarrylessMultiply(a, b, 0x00);
        var tmp4 = Pclmulqdq.CarrylessMultiply(a, b, 0x10);
        var tmp5 = Pclmulqdq.CarrylessMultiply(a, b, 0x01);
        var tmp6 = Pclmulqdq.CarrylessMultiply(a, b, 0x11);
        tmp4 = Sse2.Xor(tmp4, tmp5);
        tmp5 = Sse2.ShiftLeftLogical128BitLane(tmp4, 8);
        tmp4 = Sse2.ShiftRightLogical128BitLane(tmp4, 8);
        lo = Sse2.Xor(tmp3, tmp5);
        hi = Sse2.Xor(tmp6, tmp4);
    }

    /// <summary>Shifts the bit-reflected product left by one and reduces it modulo the field polynomial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi)
    {
        var t3 = lo.AsUInt32();
        var t6 = hi.AsUInt32();
        var tmp7 = Sse2.ShiftRightLogical(t3, 31);
        var tmp8 = Sse2.ShiftRightLogical(t6, 31);
        t3 = Sse2.ShiftLeftLogical(t3, 1);
        t6 = Sse2.ShiftLeftLogical(t6, 1);
        var tmp9 = Sse2.ShiftRightLogical128BitLane(tmp7, 12);
        tmp8 = Sse2.ShiftLeftLogical128BitLane(tmp8, 4);
        tmp7 = Sse2.ShiftLeftLogical128BitLane(tmp7, 4);
        t3 = Sse2.Or(t3, tmp7);
        t6 = Sse2.Or(t6, tmp8);
        t6 = Sse2.Or(t6, tmp9);

        tmp7 = Sse2.ShiftLeftLogical(t3, 31);
        tmp8 = Sse2.ShiftLeftLogical(t3, 30);
        tmp9 = Sse2.ShiftLeftLogical(t3, 25);
        tmp7 = Sse2.Xor(tmp7, tmp8);
        tmp7 = Sse2.Xor(tmp7, tmp9);
        tmp8 = Sse2.ShiftRightLogical128BitLane(tmp7, 4);
        tmp7 = Sse2.ShiftLeftLogical128BitLane(tmp7, 12);
        t3 = Sse2.Xor(t3, tmp7);
        var tmp2 = Sse2.ShiftRightLogical(t3, 1);
        var tmp4b = Sse2.ShiftRightLogical(t3, 2);
        var tmp5b = Sse2.ShiftRightLogical(t3, 7);
        tmp2 = Sse2.Xor(tmp2, tmp4b);
        tmp2 = Sse2.Xor(tmp2, tmp5b);
        tmp2 = Sse2.Xor(tmp2, tmp8);
        t3 = Sse2.Xor(t3, tmp2);
        t6 = Sse2.Xor(t6, t3);
        return t6.AsUInt64();
    }
}
