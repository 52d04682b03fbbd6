using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// Seals the values of one scoped column family under per-scope keys (FORMAT.md, "Scoped
/// values"), so destroying one scope's key makes its values unreadable everywhere (tables,
/// logs, copies) while the family's other scopes stay readable. Every stored value of a scoped
/// family starts with a marker: <c>0x00 ‖ value</c> (no scope), or
/// <c>0x01 ‖ key_id u32 ‖ nonce[12] ‖ ciphertext ‖ tag[16]</c>, with associated data
/// "LKVS" ‖ db id ‖ family ‖ key id ‖ user key, so a value moved to another key does not open.
/// Nonces are random: no counter survives compaction. Thread-safe.
/// </summary>
internal sealed class ScopeCipher(KeyRegistry keys, uint columnFamily) : IDisposable
{
    public const byte PlainMarker = 0;
    public const byte SealedMarker = 1;
    public const int Overhead = 1 + 4 + AeadPool.NonceSize + AeadPool.TagSize;
    private const int AdHeader = 4 + KeyDerivation.DatabaseIdSize + 4 + 4;

    private readonly ConcurrentDictionary<uint, AeadPool> _pools = new();

    public uint ColumnFamilyId => columnFamily;

    /// <summary>Stored length of a value of <paramref name="length"/> bytes.</summary>
    public static int StoredLength(int length, bool scoped) => scoped ? length + Overhead : length + 1;

    /// <summary>Writes the stored form of <paramref name="value"/> for <paramref name="scope"/> (empty: unscoped) into <paramref name="dest"/>.</summary>
    public void Seal(ReadOnlySpan<byte> scope, ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> value, Span<byte> dest, long nowMs)
    {
        if (scope.IsEmpty)
        {
            dest[0] = PlainMarker;
            value.CopyTo(dest[1..]);
            return;
        }
        KeyEntry key;
        AeadPool pool;
        while (true)
        {
            key = keys.ScopeKey(columnFamily, scope, nowMs);
            // The scope may be shredded between finding its key and keying a cipher with it: then
            // the next lookup creates the scope's new key.
            try
            {
                pool = Pool(key);
                break;
            }
            catch (EncryptionKeyException) when (key.State == KeyState.Destroyed) { }
        }
        dest[0] = SealedMarker;
        BinaryPrimitives.WriteUInt32LittleEndian(dest[1..], key.Id);
        var nonce = dest.Slice(5, AeadPool.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        int body = 5 + AeadPool.NonceSize;
        var ad = RentAd(key.Id, userKey, out int adLength);
        try { pool.Seal(nonce, value, dest.Slice(body, value.Length), dest.Slice(body + value.Length, AeadPool.TagSize), ad.AsSpan(0, adLength)); }
        finally { ArrayPool<byte>.Shared.Return(ad); }
    }

    /// <summary>True when <paramref name="stored"/> was sealed under a scope key that has been destroyed: the value reads as deleted.</summary>
    public bool IsShredded(ReadOnlySpan<byte> stored)
    {
        if (stored.IsEmpty || stored[0] != SealedMarker || stored.Length < Overhead) return false;
        var key = keys.Find(BinaryPrimitives.ReadUInt32LittleEndian(stored[1..]));
        return key is null || key.State == KeyState.Destroyed;
    }

    /// <summary>
    /// The user's value from its stored form, decrypted into <paramref name="buffer"/> when
    /// sealed. Damage or a value moved between keys throws <see cref="CorruptionException"/>.
    /// </summary>
    public ReadOnlySpan<byte> Open(ReadOnlySpan<byte> userKey, ReadOnlySpan<byte> stored, scoped ref byte[]? buffer)
    {
        if (stored.IsEmpty) throw new CorruptionException("value of a scoped column family lacks its marker");
        if (stored[0] == PlainMarker) return stored[1..];
        if (stored[0] != SealedMarker || stored.Length < Overhead) throw new CorruptionException($"value of a scoped column family has a bad marker or length");
        uint id = BinaryPrimitives.ReadUInt32LittleEndian(stored[1..]);
        var key = keys.Find(id);
        if (key is null || key.Purpose != KeyPurpose.Scope || key.ColumnFamilyId != columnFamily) throw new CorruptionException($"scoped value names key {id}, which is not a scope key of this family");
        if (key.State == KeyState.Destroyed) throw new EncryptionKeyException("the value's scope was shredded");
        int length = stored.Length - Overhead;
        if (buffer is null || buffer.Length < length) buffer = new byte[Math.Max(length, 64)];
        int body = 5 + AeadPool.NonceSize;
        var output = buffer.AsSpan(0, length);
        var nonce = stored.Slice(5, AeadPool.NonceSize);
        var ciphertext = stored.Slice(body, length);
        var tag = stored.Slice(body + length, AeadPool.TagSize);
        bool ok;
        var ad = RentAd(id, userKey, out int adLength);
        try { ok = Pool(key).TryOpen(nonce, ciphertext, tag, output, ad.AsSpan(0, adLength)); }
        finally { ArrayPool<byte>.Shared.Return(ad); }
        if (!ok) throw new CorruptionException("scoped value does not authenticate (damaged, or moved to another key)");
        return output;
    }

    private byte[] RentAd(uint keyId, ReadOnlySpan<byte> userKey, out int length)
    {
        length = AdHeader + userKey.Length;
        var ad = ArrayPool<byte>.Shared.Rent(length);
        "LKVS"u8.CopyTo(ad);
        keys.DatabaseId.CopyTo(ad.AsSpan(4));
        BinaryPrimitives.WriteUInt32LittleEndian(ad.AsSpan(20), columnFamily);
        BinaryPrimitives.WriteUInt32LittleEndian(ad.AsSpan(24), keyId);
        userKey.CopyTo(ad.AsSpan(AdHeader));
        return ad;
    }

    private AeadPool Pool(KeyEntry key) => _pools.GetOrAdd(key.Id, static (_, k) =>
    {
        var material = k.CopyLiveMaterial();
        try { return new AeadPool(material); }
        finally { CryptographicOperations.ZeroMemory(material); }
    }, key);

    /// <summary>Forgets the ciphers of destroyed keys (after a scope is shredded).</summary>
    public void Forget(IEnumerable<uint> ids)
    {
        // Not disposed: a write sealing with one right now finishes with it (its value is then as
        // unreadable as any other of the scope); the collector frees it.
        foreach (uint id in ids) _pools.TryRemove(id, out _);
    }

    public void Dispose()
    {
        foreach (var pool in _pools.Values) pool.Dispose();
        _pools.Clear();
    }
}
