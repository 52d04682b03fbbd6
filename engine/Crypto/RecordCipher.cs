using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// Seals the records of one write-ahead log or MANIFEST (FORMAT.md, "Sealed records") under
/// HKDF(metadata key, db_id, (kind, file number, key id, generation)). Two layouts:
/// <list type="bullet">
/// <item>whole (MANIFESTs, and logs of databases before format 11): <c>key_id u32 ‖ nonce[12] ‖
/// ciphertext ‖ tag[16]</c>;</item>
/// <item>compact (logs from format 11): the log carries a cipher header record (<see
/// cref="WriteLogHeader"/>: key id and the nonce's random part, the same in every record of the
/// file) and each record only <c>ordinal u32 ‖ ciphertext ‖ tag[16]</c>: 12 bytes less per write
/// through the log's pages.</item>
/// </list>
/// The nonce is the record's ordinal in the file (u32) then 8 random bytes chosen per writer:
/// authenticated with the record, the ordinal lets a reader refuse records removed, reordered or
/// duplicated; the random part keeps nonces from repeating even if a file number is reused after
/// a crash lost its directory entry. The associated data binds kind, database and file number.
/// One writer; not thread-safe.
/// </summary>
internal sealed class RecordCipher : IDisposable
{
    public const int Overhead = 4 + AeadPool.NonceSize + AeadPool.TagSize;

    /// <summary>Bytes a compact record adds to its plaintext: the ordinal and the tag.</summary>
    public const int CompactOverhead = 4 + AeadPool.TagSize;

    /// <summary>Where a compact record's plaintext (then ciphertext) starts: after the ordinal.</summary>
    public const int CompactPlaintextOffset = 4;

    /// <summary>Length of a log's cipher header record: marker, key id, the nonce's random part.</summary>
    public const int LogHeaderSize = 16;

    private const uint LogHeaderMarker = uint.MaxValue;
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
        : this(key, databaseId, kind, number, default)
    {
    }

    /// <summary>
    /// A cipher for file <paramref name="number"/>; <paramref name="salt"/> (8 bytes) is the
    /// random part of the nonces a compact log's header names, or empty to choose one (a writer).
    /// </summary>
    public RecordCipher(KeyEntry key, ReadOnlySpan<byte> databaseId, FileKeyKind kind, long number, ReadOnlySpan<byte> salt)
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
        if (salt.IsEmpty) RandomNumberGenerator.Fill(_nonceBase);
        else if (salt.Length == SaltSize) salt.CopyTo(_nonceBase.AsSpan(4));
        else throw new ArgumentException("a record nonce's random part is 8 bytes", nameof(salt));
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

    /// <summary>Length of the random part of every nonce (after the 4-byte ordinal).</summary>
    public const int SaltSize = AeadPool.NonceSize - 4;

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

    /// <summary>
    /// Writes this log's cipher header record (<see cref="LogHeaderSize"/> bytes, plain):
    /// <c>ff ff ff ff ‖ key_id u32 ‖ salt[8]</c>. No sealed record is 16 bytes long, so a reader
    /// tells it from records by its length and marker.
    /// </summary>
    public void WriteLogHeader(Span<byte> dest)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(dest, LogHeaderMarker);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[4..], KeyId);
        _nonceBase.AsSpan(4, SaltSize).CopyTo(dest[8..LogHeaderSize]);
    }

    /// <summary>Whether <paramref name="record"/> is a compact log's cipher header; if so, the key id and salt it names.</summary>
    public static bool TryReadLogHeader(ReadOnlySpan<byte> record, out uint keyId, out ReadOnlySpan<byte> salt)
    {
        keyId = 0;
        salt = default;
        if (record.Length != LogHeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(record) != LogHeaderMarker) return false;
        keyId = BinaryPrimitives.ReadUInt32LittleEndian(record[4..]);
        salt = record.Slice(8, SaltSize);
        return true;
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> as the file's next record in the compact layout into
    /// <paramref name="dest"/> (<see cref="CompactOverhead"/> bytes longer): <c>ordinal ‖
    /// ciphertext ‖ tag</c>; returns the bytes written. Like <see cref="Seal"/>, only once the
    /// record is sure to be appended, and only the ordinal and ciphertext ever reach
    /// <paramref name="dest"/> when <see cref="OutputIsCiphertextOnly"/>.
    /// </summary>
    public int SealCompact(ReadOnlySpan<byte> plaintext, Span<byte> dest)
    {
        var nonce = _nonceBase.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, _ordinal);
        BinaryPrimitives.WriteUInt32LittleEndian(dest, _ordinal++);
        var ciphertext = dest.Slice(CompactPlaintextOffset, plaintext.Length);
        var tag = dest.Slice(CompactPlaintextOffset + plaintext.Length, AeadPool.TagSize);
        if (_fast is not null) _fast.EncryptPrehashed(nonce, plaintext, ciphertext, tag, _adHash, AdSize);
        else
        {
            Span<byte> ad = stackalloc byte[AdSize];
            BuildAd(ad, _kind, _databaseId, _number, KeyId);
            _aead.Seal(nonce, plaintext, ciphertext, tag, ad);
        }
        return plaintext.Length + CompactOverhead;
    }

    /// <summary>
    /// <see cref="SealCompact"/> in place: <paramref name="record"/> holds the plaintext at
    /// <see cref="CompactPlaintextOffset"/>, <see cref="CompactOverhead"/> bytes of room in all.
    /// </summary>
    public void SealCompactInPlace(Span<byte> record) => SealCompact(record[CompactPlaintextOffset..^AeadPool.TagSize], record);

    /// <summary>Opens one compact record of this file into <paramref name="plaintext"/>; false when it does not authenticate.</summary>
    public bool TryOpenCompact(ReadOnlySpan<byte> sealedRecord, Span<byte> plaintext)
    {
        int length = sealedRecord.Length - CompactOverhead;
        if (length < 0) return false;
        Span<byte> nonce = stackalloc byte[AeadPool.NonceSize];
        _nonceBase.CopyTo(nonce);
        sealedRecord[..4].CopyTo(nonce);
        var ciphertext = sealedRecord.Slice(CompactPlaintextOffset, length);
        var tag = sealedRecord.Slice(CompactPlaintextOffset + length, AeadPool.TagSize);
        if (_fast is not null) return _fast.TryDecryptPrehashed(nonce, ciphertext, tag, plaintext[..length], _adHash, AdSize);
        Span<byte> ad = stackalloc byte[AdSize];
        BuildAd(ad, _kind, _databaseId, _number, KeyId);
        return _aead.TryOpen(nonce, ciphertext, tag, plaintext[..length], ad);
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

    /// <summary>The position in its file a compact record claims (authenticated once it opens).</summary>
    public static uint CompactOrdinalOf(ReadOnlySpan<byte> sealedRecord) => BinaryPrimitives.ReadUInt32LittleEndian(sealedRecord);

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
