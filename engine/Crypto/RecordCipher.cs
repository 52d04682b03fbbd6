using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// Seals the records of one write-ahead log or MANIFEST (FORMAT.md, "Sealed records"):
/// <c>key_id u32 ‖ nonce[12] ‖ ciphertext ‖ tag[16]</c> under HKDF(metadata key, db_id, (kind,
/// file number, key id, generation)). The nonce is the record's ordinal in the file (u32) then 8
/// random bytes chosen per writer: authenticated with the record, the ordinal lets a reader
/// refuse records removed, reordered or duplicated; the random part keeps nonces from repeating
/// even if a file number is reused after a crash lost its directory entry. The associated data
/// binds kind, database and file number. One writer; not thread-safe.
/// </summary>
internal sealed class RecordCipher : IDisposable
{
    public const int Overhead = 4 + AeadPool.NonceSize + AeadPool.TagSize;
    private const int AdSize = 4 + 1 + KeyDerivation.DatabaseIdSize + 8 + 4;

    private readonly AeadPool _aead;
    // Where the CPU allows, records are sealed here, the constant associated data hashed once.
    private readonly IntrinsicAesGcm? _fast;
    private readonly System.Runtime.Intrinsics.Vector128<ulong> _adHash;
    private readonly byte[] _databaseId;
    private readonly FileKeyKind _kind;
    private readonly long _number;
    private readonly byte[] _nonceBase = new byte[AeadPool.NonceSize];
    private uint _ordinal;

    public RecordCipher(KeyEntry key, ReadOnlySpan<byte> databaseId, FileKeyKind kind, long number)
    {
        Span<byte> fileKey = stackalloc byte[KeyDerivation.KeySize];
        var material = key.CopyLiveMaterial();
        KeyDerivation.Derive(material, databaseId, kind, databaseId, 0, number, key.Id, key.Generation, fileKey);
        CryptographicOperations.ZeroMemory(material);
        _aead = new AeadPool(fileKey);
        _databaseId = databaseId.ToArray();
        _kind = kind;
        _number = number;
        KeyId = key.Id;
        RandomNumberGenerator.Fill(_nonceBase);
        if (IntrinsicAesGcm.IsSupported)
        {
            _fast = new IntrinsicAesGcm(fileKey);
            Span<byte> ad = stackalloc byte[AdSize];
            BuildAd(ad, _kind, _databaseId, _number, KeyId);
            _adHash = _fast.HashAssociatedData(ad);
        }
        CryptographicOperations.ZeroMemory(fileKey);
    }

    public uint KeyId { get; }

    /// <summary>
    /// <see cref="Seal"/> stores nothing but the envelope and ciphertext in its destination (never
    /// the plaintext, not even for a moment), so it may seal straight into a mapped file. True for
    /// this library's own AES-GCM; the platform's makes no such promise.
    /// </summary>
    public bool OutputIsCiphertextOnly => _fast is not null;

    /// <summary>
    /// Seals <paramref name="plaintext"/> as the file's next record into <paramref name="dest"/>
    /// (<see cref="Overhead"/> bytes longer); returns the bytes written. Call it only once the
    /// record is sure to be appended (room made), so ordinals stay contiguous in the file.
    /// </summary>
    public int Seal(ReadOnlySpan<byte> plaintext, Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dest, KeyId);
        var nonce = dest.Slice(4, AeadPool.NonceSize);
        _nonceBase.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, _ordinal++);
        int header = 4 + AeadPool.NonceSize;
        if (_fast is not null)
        {
            _fast.EncryptPrehashed(nonce, plaintext, dest.Slice(header, plaintext.Length), dest.Slice(header + plaintext.Length, AeadPool.TagSize), _adHash, AdSize);
            return plaintext.Length + Overhead;
        }
        Span<byte> ad = stackalloc byte[AdSize];
        BuildAd(ad, _kind, _databaseId, _number, KeyId);
        _aead.Seal(nonce, plaintext, dest.Slice(header, plaintext.Length), dest.Slice(header + plaintext.Length, AeadPool.TagSize), ad);
        return plaintext.Length + Overhead;
    }

    /// <summary>Opens one record sealed by a writer of the same file, into <paramref name="plaintext"/>; false when it does not authenticate.</summary>
    public bool TryOpen(ReadOnlySpan<byte> sealedRecord, Span<byte> plaintext)
    {
        int length = sealedRecord.Length - Overhead;
        if (length < 0 || BinaryPrimitives.ReadUInt32LittleEndian(sealedRecord) != KeyId) return false;
        int header = 4 + AeadPool.NonceSize;
        if (_fast is not null)
            return _fast.TryDecryptPrehashed(sealedRecord.Slice(4, AeadPool.NonceSize), sealedRecord.Slice(header, length),
                sealedRecord.Slice(header + length, AeadPool.TagSize), plaintext[..length], _adHash, AdSize);
        Span<byte> ad = stackalloc byte[AdSize];
        BuildAd(ad, _kind, _databaseId, _number, KeyId);
        return _aead.TryOpen(sealedRecord.Slice(4, AeadPool.NonceSize), sealedRecord.Slice(header, length),
            sealedRecord.Slice(header + length, AeadPool.TagSize), plaintext[..length], ad);
    }

    /// <summary>
    /// Seals in place: <paramref name="record"/> holds the plaintext at <see cref="PlaintextOffset"/>,
    /// <see cref="Overhead"/> bytes of room in all; on return it is the sealed record.
    /// </summary>
    public void SealInPlace(Span<byte> record)
    {
        var plaintext = record[PlaintextOffset..^AeadPool.TagSize];
        // Exact overlap of input and output is allowed by both ciphers.
        Seal(plaintext, record);
    }

    /// <summary>Where a record's plaintext (then ciphertext) starts: after the key id and the nonce.</summary>
    public const int PlaintextOffset = 4 + AeadPool.NonceSize;

    /// <summary>The position in its file a sealed record claims (authenticated once it opens).</summary>
    public static uint OrdinalOf(ReadOnlySpan<byte> sealedRecord) => BinaryPrimitives.ReadUInt32LittleEndian(sealedRecord[4..]);

    /// <summary>The key id a sealed record names, or 0 when it is too short to be one.</summary>
    public static uint KeyIdOf(ReadOnlySpan<byte> sealedRecord)
        => sealedRecord.Length < Overhead ? 0 : BinaryPrimitives.ReadUInt32LittleEndian(sealedRecord);

    private static void BuildAd(Span<byte> ad, FileKeyKind kind, ReadOnlySpan<byte> databaseId, long number, uint keyId)
    {
        "LKVW"u8.CopyTo(ad);
        ad[4] = (byte)kind;
        databaseId.CopyTo(ad[5..]);
        BinaryPrimitives.WriteUInt64LittleEndian(ad[21..], (ulong)number);
        BinaryPrimitives.WriteUInt32LittleEndian(ad[29..], keyId);
    }

    public void Dispose() => _aead.Dispose();
}
