using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace LatticeKV.Crypto;

/// <summary>
/// AES-256-GCM (NIST SP 800-38D, 96-bit nonces, 128-bit tags) on the CPU's AES and
/// carry-less-multiply instructions: the platform's <see cref="AesGcm"/> costs a fixed amount per
/// call that is larger than the cipher work for a short record (one log record per write group),
/// and its bulk path is no faster on a table block. Byte-for-byte the same output as
/// <see cref="AesGcm"/> (a differential test checks every length through 1,100 bytes, table-block
/// sizes, random keys, nonces and associated data against it); used only where
/// <see cref="IsSupported"/>. Counter blocks go through AES eight at a time (independent rounds
/// in flight hide the instruction's latency); GHASH multiplies as in Intel's carry-less
/// multiplication white paper (Gueron and Kounavis, 2014) and reduces once per eight blocks,
/// summing each block's product with the matching power of H before the reduction (the
/// aggregated reduction of the same paper). The tag check is constant-time. Thread-safe after
/// construction: it holds only the expanded key and the powers of the hash key.
/// </summary>
[SkipLocalsInit]
internal sealed class IntrinsicAesGcm
{
    public const int TagSize = 16;
    public const int NonceSize = 12;
    private const int Rounds = 14;

    private static readonly Vector128<byte> s_reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    private readonly Vector128<byte>[] _roundKeys = new Vector128<byte>[Rounds + 1];

    /// <summary>
    /// H, H², …, H⁹ (H the hash key), byte-reversed: <c>_powers[i]</c> is H^(i+1). GHASH of n
    /// blocks is then Σ Xᵢ·H^(n+1-i) with one reduction (the products are linear), so a chunk of
    /// <see cref="Lanes"/> blocks costs one reduction, and the last chunk's blocks with the
    /// lengths block one more.
    /// </summary>
    private readonly Vector128<ulong>[] _powers = new Vector128<ulong>[Lanes + 1];

    /// <summary>Blocks per pass: enough independent AES rounds in flight to cover the instruction's latency.</summary>
    private const int Lanes = 8;
    private const int ChunkSize = Lanes * 16;

    public IntrinsicAesGcm(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new ArgumentException("AES-256 needs a 32-byte key.", nameof(key));
        ExpandKey(key, _roundKeys);
        var h = Ssse3.Shuffle(EncryptBlock(Vector128<byte>.Zero), s_reverse).AsUInt64();
        _powers[0] = h;
        for (int i = 1; i < _powers.Length; i++) _powers[i] = GfMul(_powers[i - 1], h);
    }

    /// <summary>AES-NI, PCLMULQDQ and SSSE3 are present (x64).</summary>
    public static bool IsSupported => X86Aes.IsSupported && Pclmulqdq.IsSupported && Ssse3.IsSupported;

    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
        => EncryptPrehashed(nonce, plaintext, ciphertext, tag, HashAssociatedData(associatedData), associatedData.Length);

    /// <summary>GHASH of associated data alone: a caller sealing many messages with the same associated data computes it once.</summary>
    public Vector128<ulong> HashAssociatedData(ReadOnlySpan<byte> associatedData)
    {
        var y = Vector128<ulong>.Zero;
        ref byte data = ref MemoryMarshal.GetReference(associatedData);
        int offset = 0;
        for (; associatedData.Length - offset >= ChunkSize; offset += ChunkSize) y = HashBlocks(y, ref Unsafe.Add(ref data, offset), Lanes);
        if (offset == associatedData.Length) return y;
        Span<byte> last = stackalloc byte[ChunkSize];
        last.Clear();
        associatedData[offset..].CopyTo(last);
        return HashBlocks(y, ref MemoryMarshal.GetReference(last), (associatedData.Length - offset + 15) >> 4);
    }

    /// <summary><see cref="Encrypt"/> with the associated data's hash (<see cref="HashAssociatedData"/>) and length given.</summary>
    public void EncryptPrehashed(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, Vector128<ulong> adHash, int adLength)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize || ciphertext.Length != plaintext.Length) throw new ArgumentException("bad nonce, tag or output length");
        Crypt(nonce, plaintext, ciphertext, adHash, adLength, sealing: true).CopyTo(tag);
    }

    /// <summary>Opens <paramref name="ciphertext"/> into <paramref name="plaintext"/> (which may be the same span); false, with the output cleared, when the tag does not match.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        => TryDecryptPrehashed(nonce, ciphertext, tag, plaintext, HashAssociatedData(associatedData), associatedData.Length);

    /// <summary><see cref="TryDecrypt"/> with the associated data's hash and length given.</summary>
    public bool TryDecryptPrehashed(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, Vector128<ulong> adHash, int adLength)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize || ciphertext.Length != plaintext.Length) return false;
        var expected = Crypt(nonce, ciphertext, plaintext, adHash, adLength, sealing: false);
        Span<byte> computed = stackalloc byte[TagSize];
        expected.CopyTo(computed);
        bool authentic = CryptographicOperations.FixedTimeEquals(computed, tag);
        CryptographicOperations.ZeroMemory(computed);
        if (!authentic)
        {
            plaintext.Clear();
            return false;
        }
        return true;
    }

    /// <summary>
    /// CTR mode from counter 2, <paramref name="input"/> into <paramref name="output"/> (the same
    /// span, or not overlapping), and GHASH of the ciphertext (the output when sealing, the input
    /// when opening, hashed before an in-place open overwrites it) in the same pass, a chunk of
    /// <see cref="Lanes"/> blocks at a time; returns the tag: the hash masked with the encryption
    /// of counter 1. The short last chunk goes through a stack buffer, zero-padded as GHASH
    /// wants, and the lengths block is hashed with it.
    /// </summary>
    private Vector128<byte> Crypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, Vector128<ulong> y, int adLength, bool sealing)
    {
        var j0 = Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(nonce), BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]) | (1UL << 56)).AsByte();
        // The tag's mask (counter 1) rides in a spare lane of the last, short chunk when there is one.
        var mask = Vector128<byte>.Zero;
        bool masked = false;
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        // The last chunk's blocks, zero-padded, then the lengths block; and its keystream.
        Span<byte> tail = stackalloc byte[ChunkSize + 16];
        Span<byte> keystream = stackalloc byte[ChunkSize];
        tail.Clear();
        int tailBlocks = 0;
        uint counter = 2;
        for (int offset = 0; offset < input.Length; offset += ChunkSize, counter += Lanes)
        {
            int rest = input.Length - offset;
            bool full = rest >= ChunkSize;
            if (full && !sealing) y = HashBlocks(y, ref Unsafe.Add(ref src, offset), Lanes);
            ref byte ks = ref MemoryMarshal.GetReference(keystream);
            if (!full) tailBlocks = (rest + 15) >> 4;
            if (!full && tailBlocks <= 3)
            {
                // Four lanes: up to three keystream blocks and the mask.
                var c0 = WithCounter(j0, counter);
                var c1 = WithCounter(j0, counter + 1);
                var c2 = WithCounter(j0, counter + 2);
                var c3 = j0;
                EncryptFour(ref c0, ref c1, ref c2, ref c3);
                c0.StoreUnsafe(ref ks, 0);
                c1.StoreUnsafe(ref ks, 16);
                c2.StoreUnsafe(ref ks, 32);
                mask = c3;
                masked = true;
            }
            else
            {
                // A short last chunk of four to seven blocks has its eighth lane free for the mask.
                bool maskLane = !full && tailBlocks < Lanes;
                var b0 = WithCounter(j0, counter);
                var b1 = WithCounter(j0, counter + 1);
                var b2 = WithCounter(j0, counter + 2);
                var b3 = WithCounter(j0, counter + 3);
                var b4 = WithCounter(j0, counter + 4);
                var b5 = WithCounter(j0, counter + 5);
                var b6 = WithCounter(j0, counter + 6);
                var b7 = maskLane ? j0 : WithCounter(j0, counter + 7);
                EncryptEight(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7);
                if (full)
                {
                    // Each block is read before it is written: an in-place open is safe.
                    XorStore(ref src, ref dst, offset, b0);
                    XorStore(ref src, ref dst, offset + 16, b1);
                    XorStore(ref src, ref dst, offset + 32, b2);
                    XorStore(ref src, ref dst, offset + 48, b3);
                    XorStore(ref src, ref dst, offset + 64, b4);
                    XorStore(ref src, ref dst, offset + 80, b5);
                    XorStore(ref src, ref dst, offset + 96, b6);
                    XorStore(ref src, ref dst, offset + 112, b7);
                    if (sealing) y = HashBlocks(y, ref Unsafe.Add(ref dst, offset), Lanes);
                    continue;
                }
                b0.StoreUnsafe(ref ks, 0);
                b1.StoreUnsafe(ref ks, 16);
                b2.StoreUnsafe(ref ks, 32);
                b3.StoreUnsafe(ref ks, 48);
                b4.StoreUnsafe(ref ks, 64);
                b5.StoreUnsafe(ref ks, 80);
                b6.StoreUnsafe(ref ks, 96);
                if (maskLane)
                {
                    mask = b7;
                    masked = true;
                }
                else
                {
                    b7.StoreUnsafe(ref ks, 112);
                }
            }
            input[offset..].CopyTo(tail);
            ref byte t = ref MemoryMarshal.GetReference(tail);
            // Sealing hashes the ciphertext in the buffer (its padding cleared again); opening, the
            // ciphertext kept there while the plaintext is built in the keystream's buffer.
            ref byte plain = ref sealing ? ref t : ref ks;
            for (int b = 0; b < tailBlocks << 4; b += 16) XorStore(ref t, ref plain, b, Vector128.LoadUnsafe(ref ks, (nuint)b));
            (sealing ? tail : keystream)[..rest].CopyTo(output[offset..]);
            tail[rest..(tailBlocks << 4)].Clear();
            CryptographicOperations.ZeroMemory(keystream);
        }
        if (!masked) mask = EncryptBlock(j0);
        BinaryPrimitives.WriteUInt64BigEndian(tail[(tailBlocks << 4)..], (ulong)adLength * 8);
        BinaryPrimitives.WriteUInt64BigEndian(tail[((tailBlocks << 4) + 8)..], (ulong)input.Length * 8);
        y = HashBlocks(y, ref MemoryMarshal.GetReference(tail), tailBlocks + 1);
        CryptographicOperations.ZeroMemory(tail);
        return Sse2.Xor(Ssse3.Shuffle(y.AsByte(), s_reverse), mask);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> WithCounter(Vector128<byte> j0, uint counter)
        => j0.AsUInt32().WithElement(3, BinaryPrimitives.ReverseEndianness(counter)).AsByte();

    /// <summary>output[offset..+16] = input[offset..+16] ^ <paramref name="keystream"/>; the caller keeps offsets in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void XorStore(ref byte input, ref byte output, int offset, Vector128<byte> keystream)
        => Sse2.Xor(keystream, Vector128.LoadUnsafe(ref input, (nuint)offset)).StoreUnsafe(ref output, (nuint)offset);

    /// <summary>
    /// GHASH of <paramref name="count"/> (1 to <see cref="Lanes"/> + 1) blocks at <paramref name="blocks"/>
    /// after <paramref name="y"/>: ((y ^ X₁)·Hⁿ) ^ X₂·Hⁿ⁻¹ ^ … ^ Xₙ·H, one reduction.
    /// </summary>
    private Vector128<ulong> HashBlocks(Vector128<ulong> y, ref byte blocks, int count)
    {
        ref var power = ref MemoryMarshal.GetArrayDataReference(_powers);
        var x = Sse2.Xor(y, Ssse3.Shuffle(Vector128.LoadUnsafe(ref blocks), s_reverse).AsUInt64());
        Multiply(x, Unsafe.Add(ref power, count - 1), out var lo, out var hi);
        for (int i = 1; i < count; i++)
        {
            x = Ssse3.Shuffle(Vector128.LoadUnsafe(ref blocks, (nuint)(i << 4)), s_reverse).AsUInt64();
            Multiply(x, Unsafe.Add(ref power, count - 1 - i), out var l, out var h);
            lo = Sse2.Xor(lo, l);
            hi = Sse2.Xor(hi, h);
        }
        return Reduce(lo, hi);
    }

    /// <summary>AES-256 of eight counter blocks in place, their rounds interleaved so that the instruction's latency is covered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncryptEight(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3,
        ref Vector128<byte> b4, ref Vector128<byte> b5, ref Vector128<byte> b6, ref Vector128<byte> b7)
    {
        ref var rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        var key = rk;
        b0 = Sse2.Xor(b0, key);
        b1 = Sse2.Xor(b1, key);
        b2 = Sse2.Xor(b2, key);
        b3 = Sse2.Xor(b3, key);
        b4 = Sse2.Xor(b4, key);
        b5 = Sse2.Xor(b5, key);
        b6 = Sse2.Xor(b6, key);
        b7 = Sse2.Xor(b7, key);
        for (int r = 1; r < Rounds; r++)
        {
            key = Unsafe.Add(ref rk, r);
            b0 = X86Aes.Encrypt(b0, key);
            b1 = X86Aes.Encrypt(b1, key);
            b2 = X86Aes.Encrypt(b2, key);
            b3 = X86Aes.Encrypt(b3, key);
            b4 = X86Aes.Encrypt(b4, key);
            b5 = X86Aes.Encrypt(b5, key);
            b6 = X86Aes.Encrypt(b6, key);
            b7 = X86Aes.Encrypt(b7, key);
        }
        key = Unsafe.Add(ref rk, Rounds);
        b0 = X86Aes.EncryptLast(b0, key);
        b1 = X86Aes.EncryptLast(b1, key);
        b2 = X86Aes.EncryptLast(b2, key);
        b3 = X86Aes.EncryptLast(b3, key);
        b4 = X86Aes.EncryptLast(b4, key);
        b5 = X86Aes.EncryptLast(b5, key);
        b6 = X86Aes.EncryptLast(b6, key);
        b7 = X86Aes.EncryptLast(b7, key);
    }

    /// <summary>As <see cref="EncryptEight"/>, four blocks: a short last chunk pays for no lanes it does not use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncryptFour(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3)
    {
        ref var rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        var key = rk;
        b0 = Sse2.Xor(b0, key);
        b1 = Sse2.Xor(b1, key);
        b2 = Sse2.Xor(b2, key);
        b3 = Sse2.Xor(b3, key);
        for (int r = 1; r < Rounds; r++)
        {
            key = Unsafe.Add(ref rk, r);
            b0 = X86Aes.Encrypt(b0, key);
            b1 = X86Aes.Encrypt(b1, key);
            b2 = X86Aes.Encrypt(b2, key);
            b3 = X86Aes.Encrypt(b3, key);
        }
        key = Unsafe.Add(ref rk, Rounds);
        b0 = X86Aes.EncryptLast(b0, key);
        b1 = X86Aes.EncryptLast(b1, key);
        b2 = X86Aes.EncryptLast(b2, key);
        b3 = X86Aes.EncryptLast(b3, key);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Vector128<byte> EncryptBlock(Vector128<byte> x)
    {
        ref var rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        x = Sse2.Xor(x, rk);
        for (int r = 1; r < Rounds; r++) x = X86Aes.Encrypt(x, Unsafe.Add(ref rk, r));
        return X86Aes.EncryptLast(x, Unsafe.Add(ref rk, Rounds));
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
        0x01 => X86Aes.KeygenAssist(x, 0x01),
        0x02 => X86Aes.KeygenAssist(x, 0x02),
        0x04 => X86Aes.KeygenAssist(x, 0x04),
        0x08 => X86Aes.KeygenAssist(x, 0x08),
        0x10 => X86Aes.KeygenAssist(x, 0x10),
        0x20 => X86Aes.KeygenAssist(x, 0x20),
        _ => X86Aes.KeygenAssist(x, 0x40),
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
        var t4 = X86Aes.KeygenAssist(t1, 0x00);
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
