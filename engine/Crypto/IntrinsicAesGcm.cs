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
/// in flight hide the instruction's latency), a message's last 16 to 176 bytes with the tag's
/// mask in one pass of eight or twelve; GHASH multiplies as in Intel's carry-less
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
    /// H, H², …, H¹² (H the hash key), byte-reversed: <c>_powers[i]</c> is H^(i+1). GHASH of n
    /// blocks is then Σ Xᵢ·H^(n+1-i) with one reduction (the products are linear), so a chunk of
    /// <see cref="Lanes"/> blocks costs one reduction, and a message's last 16 to 176 bytes with
    /// the lengths block one more.
    /// </summary>
    private readonly Vector128<ulong>[] _powers = new Vector128<ulong>[ShortLanes];

    /// <summary>Blocks per pass: enough independent AES rounds in flight to cover the instruction's latency.</summary>
    private const int Lanes = 8;
    private const int ChunkSize = Lanes * 16;

    /// <summary>
    /// Lanes of the single pass for a message's last one whole block to eleven blocks (16 to 176
    /// bytes: all of the log record of one small write): their keystream and the tag's mask at once
    /// (eight lanes up to seven blocks, twelve above), so no second, serial pass is left for the
    /// last blocks or the mask.
    /// </summary>
    private const int ShortLanes = 12;
    private const int ShortMinLength = 16;
    private const int ShortMaxLength = (ShortLanes - 1) * 16;
    private static readonly Vector128<byte> s_byteIndex = Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

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
    /// when opening, hashed before an in-place open overwrites it) in the same pass; returns the
    /// tag: the hash masked with the encryption of counter 1. Whole chunks of <see cref="Lanes"/>
    /// blocks while more than <see cref="ShortMaxLength"/> bytes are left, then the rest (49 to 176
    /// bytes, or a whole message of 16 to 176) in <see cref="CryptShort"/>'s single pass with the
    /// mask; a message shorter than a block in <see cref="CryptTiny"/>.
    /// </summary>
    private Vector128<byte> Crypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, Vector128<ulong> y, int adLength, bool sealing)
    {
        var j0 = Vector128.Create(BinaryPrimitives.ReadUInt64LittleEndian(nonce), BinaryPrimitives.ReadUInt32LittleEndian(nonce[8..]) | (1UL << 56)).AsByte();
        if (input.Length < ShortMinLength) return CryptTiny(j0, input, output, y, adLength, sealing);
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        int offset = 0;
        uint counter = 2;
        for (; input.Length - offset > ShortMaxLength; offset += ChunkSize, counter += Lanes)
        {
            if (!sealing) y = HashBlocks(y, ref Unsafe.Add(ref src, offset), Lanes);
            var b0 = WithCounter(j0, counter);
            var b1 = WithCounter(j0, counter + 1);
            var b2 = WithCounter(j0, counter + 2);
            var b3 = WithCounter(j0, counter + 3);
            var b4 = WithCounter(j0, counter + 4);
            var b5 = WithCounter(j0, counter + 5);
            var b6 = WithCounter(j0, counter + 6);
            var b7 = WithCounter(j0, counter + 7);
            EncryptEight(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7);
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
        }
        return CryptShort(j0, counter, input[offset..], output[offset..], y, input.Length, adLength, sealing);
    }

    /// <summary>
    /// <see cref="Crypt"/> for fewer than 16 bytes: the one block through a stack buffer,
    /// zero-padded as GHASH wants, then the lengths block; the buffer is cleared after.
    /// </summary>
    private Vector128<byte> CryptTiny(Vector128<byte> j0, ReadOnlySpan<byte> input, Span<byte> output, Vector128<ulong> y, int adLength, bool sealing)
    {
        int length = input.Length;
        var keystream = WithCounter(j0, 2);
        var mask = j0;
        var unused0 = j0;
        var unused1 = j0;
        EncryptFour(ref keystream, ref mask, ref unused0, ref unused1);
        Span<byte> buffer = stackalloc byte[32];
        buffer.Clear();
        int blocks = length == 0 ? 0 : 1;
        if (length > 0)
        {
            input.CopyTo(buffer);
            var inBlock = Vector128.Create((ReadOnlySpan<byte>)buffer);
            var outBlock = Sse2.Xor(keystream, inBlock) & Vector128.LessThan(s_byteIndex, Vector128.Create((byte)length));
            outBlock.CopyTo(buffer);
            buffer[..length].CopyTo(output);
            (sealing ? outBlock : inBlock).CopyTo(buffer);
        }
        BinaryPrimitives.WriteUInt64BigEndian(buffer[(blocks << 4)..], (ulong)adLength * 8);
        BinaryPrimitives.WriteUInt64BigEndian(buffer[((blocks << 4) + 8)..], (ulong)length * 8);
        y = HashBlocks(y, ref MemoryMarshal.GetReference(buffer), blocks + 1);
        CryptographicOperations.ZeroMemory(buffer);
        return Sse2.Xor(Ssse3.Shuffle(y.AsByte(), s_reverse), mask);
    }

    /// <summary>
    /// The last <see cref="ShortMinLength"/> to <see cref="ShortMaxLength"/> bytes of a message (one
    /// whole block to eleven blocks, from <paramref name="counter"/>, after the hash
    /// <paramref name="y"/> of what came before): one AES pass for every counter block and the mask, each
    /// block XORed straight from its lane and its GHASH product summed as it goes, one reduction
    /// with the lengths block. The output only ever receives ciphertext when sealing: the short
    /// last block is moved through registers.
    /// </summary>
    private Vector128<byte> CryptShort(Vector128<byte> j0, uint counter, ReadOnlySpan<byte> input, Span<byte> output, Vector128<ulong> y,
        int totalLength, int adLength, bool sealing)
    {
        int length = input.Length;
        int whole = length >> 4;
        int blocks = (length + 15) >> 4;
        var b0 = WithCounter(j0, counter);
        var b1 = WithCounter(j0, counter + 1);
        var b2 = WithCounter(j0, counter + 2);
        var b3 = WithCounter(j0, counter + 3);
        var b4 = WithCounter(j0, counter + 4);
        var b5 = WithCounter(j0, counter + 5);
        var b6 = WithCounter(j0, counter + 6);
        var b7 = WithCounter(j0, counter + 7);
        var b8 = WithCounter(j0, counter + 8);
        var b9 = WithCounter(j0, counter + 9);
        var b10 = WithCounter(j0, counter + 10);
        var mask = j0;
        if (blocks < Lanes)
        {
            // Up to seven blocks: the mask rides in the eighth lane.
            b7 = j0;
            EncryptEight(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7);
            mask = b7;
        }
        else
        {
            EncryptTwelve(ref b0, ref b1, ref b2, ref b3, ref b4, ref b5, ref b6, ref b7, ref b8, ref b9, ref b10, ref mask);
        }
        ref byte src = ref MemoryMarshal.GetReference(input);
        ref byte dst = ref MemoryMarshal.GetReference(output);
        ref var power = ref MemoryMarshal.GetArrayDataReference(_powers);
        // Block k's product takes H^(blocks + 1 - k): the lengths block follows the data. The sums
        // stay in registers: nothing that is not inlined takes them by reference.
        Multiply(WholeBlock(ref src, ref dst, 0, b0, sealing, y), Unsafe.Add(ref power, blocks), out var lo, out var hi);
        if (whole > 1) Accumulate(WholeBlock(ref src, ref dst, 16, b1, sealing), Unsafe.Add(ref power, blocks - 1), ref lo, ref hi);
        if (whole > 2) Accumulate(WholeBlock(ref src, ref dst, 32, b2, sealing), Unsafe.Add(ref power, blocks - 2), ref lo, ref hi);
        if (whole > 3) Accumulate(WholeBlock(ref src, ref dst, 48, b3, sealing), Unsafe.Add(ref power, blocks - 3), ref lo, ref hi);
        if (whole > 4) Accumulate(WholeBlock(ref src, ref dst, 64, b4, sealing), Unsafe.Add(ref power, blocks - 4), ref lo, ref hi);
        if (whole > 5) Accumulate(WholeBlock(ref src, ref dst, 80, b5, sealing), Unsafe.Add(ref power, blocks - 5), ref lo, ref hi);
        if (whole > 6) Accumulate(WholeBlock(ref src, ref dst, 96, b6, sealing), Unsafe.Add(ref power, blocks - 6), ref lo, ref hi);
        if (whole > 7) Accumulate(WholeBlock(ref src, ref dst, 112, b7, sealing), Unsafe.Add(ref power, blocks - 7), ref lo, ref hi);
        if (whole > 8) Accumulate(WholeBlock(ref src, ref dst, 128, b8, sealing), Unsafe.Add(ref power, blocks - 8), ref lo, ref hi);
        if (whole > 9) Accumulate(WholeBlock(ref src, ref dst, 144, b9, sealing), Unsafe.Add(ref power, blocks - 9), ref lo, ref hi);
        if (whole > 10) Accumulate(WholeBlock(ref src, ref dst, 160, b10, sealing), Unsafe.Add(ref power, blocks - 10), ref lo, ref hi);
        if (whole < blocks)
        {
            var lane = whole switch { 1 => b1, 2 => b2, 3 => b3, 4 => b4, 5 => b5, 6 => b6, 7 => b7, 8 => b8, 9 => b9, _ => b10 };
            Accumulate(LastBlock(ref src, ref dst, length, lane, sealing), Unsafe.Add(ref power, blocks - whole), ref lo, ref hi);
        }
        Accumulate(Vector128.Create((ulong)totalLength * 8, (ulong)adLength * 8), power, ref lo, ref hi);
        var tag = Reduce(lo, hi);
        return Sse2.Xor(Ssse3.Shuffle(tag.AsByte(), s_reverse), mask);
    }

    /// <summary>One whole block of <see cref="CryptShort"/>: read, XORed, written; returns the ciphertext byte-reversed for GHASH, XORed with <paramref name="y"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> WholeBlock(ref byte src, ref byte dst, int offset, Vector128<byte> keystream, bool sealing, Vector128<ulong> y = default)
    {
        var inBlock = Vector128.LoadUnsafe(ref src, (nuint)offset);
        var outBlock = Sse2.Xor(keystream, inBlock);
        outBlock.StoreUnsafe(ref dst, (nuint)offset);
        return Sse2.Xor(y, Ssse3.Shuffle(sealing ? outBlock : inBlock, s_reverse).AsUInt64());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Vector128<ulong> x, Vector128<ulong> power, ref Vector128<ulong> lo, ref Vector128<ulong> hi)
    {
        Multiply(x, power, out var l, out var h);
        lo = Sse2.Xor(lo, l);
        hi = Sse2.Xor(hi, h);
    }

    /// <summary>
    /// The short last block of <see cref="CryptShort"/> (1 to 15 bytes, after at least one whole
    /// block): read as the input's last 16 bytes moved down, zero above; written back as the
    /// output's last 16 bytes, whose lower bytes are the previous block's output, already written
    /// (so nothing outside either span is touched, and no buffer holds the block). Returns the
    /// ciphertext, zero-padded and byte-reversed for GHASH.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> LastBlock(ref byte src, ref byte dst, int length, Vector128<byte> keystream, bool sealing)
    {
        int rest = length & 15;
        nuint window = (nuint)(length - 16);
        var shift = Vector128.Create((byte)(16 - rest));
        var tailLanes = Vector128.LessThan(s_byteIndex, Vector128.Create((byte)rest));
        // A shuffle index with its top bit set gives zero.
        var down = (s_byteIndex + shift) | Vector128.AndNot(Vector128.Create((byte)0x80), tailLanes);
        var inBlock = Ssse3.Shuffle(Vector128.LoadUnsafe(ref src, window), down);
        var outBlock = Sse2.Xor(keystream, inBlock) & tailLanes;
        // Below the block, index − shift wraps to 0xF1 and above: zero, and the previous bytes are kept.
        var up = Ssse3.Shuffle(outBlock, s_byteIndex - shift);
        var kept = Vector128.LoadUnsafe(ref dst, window) & Vector128.LessThan(s_byteIndex, shift);
        (kept | up).StoreUnsafe(ref dst, window);
        return Ssse3.Shuffle(sealing ? outBlock : inBlock, s_reverse).AsUInt64();
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

    /// <summary>As <see cref="EncryptEight"/>, twelve blocks: <see cref="CryptShort"/>'s single pass.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EncryptTwelve(ref Vector128<byte> b0, ref Vector128<byte> b1, ref Vector128<byte> b2, ref Vector128<byte> b3,
        ref Vector128<byte> b4, ref Vector128<byte> b5, ref Vector128<byte> b6, ref Vector128<byte> b7,
        ref Vector128<byte> b8, ref Vector128<byte> b9, ref Vector128<byte> b10, ref Vector128<byte> b11)
    {
        ref var rk = ref MemoryMarshal.GetArrayDataReference(_roundKeys);
        var key = rk;
        var x0 = Sse2.Xor(b0, key);
        var x1 = Sse2.Xor(b1, key);
        var x2 = Sse2.Xor(b2, key);
        var x3 = Sse2.Xor(b3, key);
        var x4 = Sse2.Xor(b4, key);
        var x5 = Sse2.Xor(b5, key);
        var x6 = Sse2.Xor(b6, key);
        var x7 = Sse2.Xor(b7, key);
        var x8 = Sse2.Xor(b8, key);
        var x9 = Sse2.Xor(b9, key);
        var x10 = Sse2.Xor(b10, key);
        var x11 = Sse2.Xor(b11, key);
        for (int r = 1; r < Rounds; r++)
        {
            key = Unsafe.Add(ref rk, r);
            x0 = X86Aes.Encrypt(x0, key);
            x1 = X86Aes.Encrypt(x1, key);
            x2 = X86Aes.Encrypt(x2, key);
            x3 = X86Aes.Encrypt(x3, key);
            x4 = X86Aes.Encrypt(x4, key);
            x5 = X86Aes.Encrypt(x5, key);
            x6 = X86Aes.Encrypt(x6, key);
            x7 = X86Aes.Encrypt(x7, key);
            x8 = X86Aes.Encrypt(x8, key);
            x9 = X86Aes.Encrypt(x9, key);
            x10 = X86Aes.Encrypt(x10, key);
            x11 = X86Aes.Encrypt(x11, key);
        }
        key = Unsafe.Add(ref rk, Rounds);
        b0 = X86Aes.EncryptLast(x0, key);
        b1 = X86Aes.EncryptLast(x1, key);
        b2 = X86Aes.EncryptLast(x2, key);
        b3 = X86Aes.EncryptLast(x3, key);
        b4 = X86Aes.EncryptLast(x4, key);
        b5 = X86Aes.EncryptLast(x5, key);
        b6 = X86Aes.EncryptLast(x6, key);
        b7 = X86Aes.EncryptLast(x7, key);
        b8 = X86Aes.EncryptLast(x8, key);
        b9 = X86Aes.EncryptLast(x9, key);
        b10 = X86Aes.EncryptLast(x10, key);
        b11 = X86Aes.EncryptLast(x11, key);
    }

    /// <summary>As <see cref="EncryptEight"/>, four blocks: <see cref="CryptTiny"/>, which needs two.</summary>
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
