using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// AES-256-GCM for one key, shared by threads: <see cref="IntrinsicAesGcm"/> where the CPU has
/// AES-NI and PCLMULQDQ (no fixed cost per call; on table blocks as fast as the platform's, and
/// faster on a busy machine: BENCHMARKS.md, encryption at rest), else the platform's <see cref="AesGcm"/>
/// instances, pooled: one must not be used by two threads at once, and building one per call
/// costs more than the cipher work for a block. Rent and return are lock-free; a rent that finds
/// every slot taken builds a spare.
/// </summary>
internal sealed class AeadPool : IDisposable
{
    public const int TagSize = 16;
    public const int NonceSize = 12;

    private readonly byte[] _key;
    private readonly AesGcm?[] _slots;
    private readonly IntrinsicAesGcm? _intrinsic; // thread-safe: no pooling needed
    private int _disposed;

    public AeadPool(ReadOnlySpan<byte> key, bool platformOnly = false)
    {
        _key = key.ToArray();
        _slots = new AesGcm?[Math.Max(4, 2 * Environment.ProcessorCount)];
        if (!platformOnly && IntrinsicAesGcm.IsSupported) _intrinsic = new IntrinsicAesGcm(key);
        if (!AesGcm.IsSupported) throw new EncryptionKeyException("AES-GCM is not supported on this platform; an encrypted database cannot be opened here");
    }

    public AesGcm Rent()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            var aead = Interlocked.Exchange(ref _slots[i], null);
            if (aead is not null) return aead;
        }
        return new AesGcm(_key, TagSize);
    }

    public void Return(AesGcm aead)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            for (int i = 0; i < _slots.Length; i++)
                if (Interlocked.CompareExchange(ref _slots[i], aead, null) is null) return;
        }
        aead.Dispose();
    }

    /// <summary>Seals <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length) and <paramref name="tag"/>.</summary>
    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        if (_intrinsic is not null)
        {
            _intrinsic.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);
            return;
        }
        var aead = Rent();
        try { aead.Encrypt(nonce, plaintext, ciphertext, tag, associatedData); }
        finally { Return(aead); }
    }

    /// <summary>Opens sealed bytes; false when they do not authenticate (damaged, moved, forged or another key).</summary>
    public bool TryOpen(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        if (_intrinsic is not null) return _intrinsic.TryDecrypt(nonce, ciphertext, tag, plaintext, associatedData);
        var aead = Rent();
        try
        {
            aead.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            plaintext.Clear();
            return false;
        }
        catch (CryptographicException)
        {
            plaintext.Clear();
            return false;
        }
        finally { Return(aead); }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        for (int i = 0; i < _slots.Length; i++) Interlocked.Exchange(ref _slots[i], null)?.Dispose();
        CryptographicOperations.ZeroMemory(_key);
    }
}
