using System.Buffers.Binary;
using System.Security.Cryptography;

namespace LatticeKV.Crypto;

/// <summary>
/// Seals and opens the blocks of one table of an encrypted column family (FORMAT.md, "Sealed
/// blocks"). The key is HKDF of the family's data key with the table's random 12-byte salt and
/// (file number, key id, generation); the nonce is the block's offset, unique within the file;
/// the associated data binds database, family, file, offset, block kind and compression, so a
/// block moved within or between tables, or a table renamed, does not open. The records of a
/// sealed blob file (FORMAT.md §21.7) are sealed the same way under a key of their own kind
/// (<see cref="FileKeyKind.Blob"/>), the record's offset as nonce and <see cref="BlockKind.BlobRecord"/>.
/// </summary>
internal sealed class TableCipher : IDisposable
{
    public const int SaltSize = 12;
    public const int Overhead = AeadPool.TagSize;
    private const int AdSize = 4 + KeyDerivation.DatabaseIdSize + 4 + 8 + 8 + 1 + 1;
    private const uint TableFormat = 2;

    private readonly AeadPool _aead;
    private readonly byte[] _databaseId;
    private readonly uint _columnFamily;
    private readonly long _fileNumber;

    private TableCipher(KeyEntry key, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> databaseId, long fileNumber, FileKeyKind kind = FileKeyKind.Table)
    {
        Span<byte> fileKey = stackalloc byte[KeyDerivation.KeySize];
        var material = key.CopyLiveMaterial();
        KeyDerivation.Derive(material, salt, kind, databaseId, key.ColumnFamilyId, fileNumber, key.Id, key.Generation, fileKey);
        CryptographicOperations.ZeroMemory(material);
        _aead = new AeadPool(fileKey);
        CryptographicOperations.ZeroMemory(fileKey);
        _databaseId = databaseId.ToArray();
        _columnFamily = key.ColumnFamilyId;
        _fileNumber = fileNumber;
        KeyId = key.Id;
        Generation = key.Generation;
        Salt = salt.ToArray();
    }

    public uint KeyId { get; }

    public uint Generation { get; }

    public byte[] Salt { get; }

    /// <summary>A cipher for a new table under <paramref name="key"/>, with a fresh random salt.</summary>
    public static TableCipher ForNewTable(KeyEntry key, ReadOnlySpan<byte> databaseId, long fileNumber)
    {
        Span<byte> salt = stackalloc byte[SaltSize];
        RandomNumberGenerator.Fill(salt);
        return new TableCipher(key, salt, databaseId, fileNumber);
    }

    /// <summary>A cipher for an existing table, from its footer's key id and salt.</summary>
    public static TableCipher ForExistingTable(KeyEntry key, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> databaseId, long fileNumber)
        => new(key, salt, databaseId, fileNumber);

    /// <summary>A cipher for the records of a new blob file under <paramref name="key"/>, with a fresh random salt.</summary>
    public static TableCipher ForNewBlobFile(KeyEntry key, ReadOnlySpan<byte> databaseId, long fileNumber)
    {
        Span<byte> salt = stackalloc byte[SaltSize];
        RandomNumberGenerator.Fill(salt);
        return new TableCipher(key, salt, databaseId, fileNumber, FileKeyKind.Blob);
    }

    /// <summary>A cipher for the records of an existing blob file, from its header's key id and salt (or a given salt, for known answers).</summary>
    public static TableCipher ForExistingBlobFile(KeyEntry key, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> databaseId, long fileNumber)
        => new(key, salt, databaseId, fileNumber, FileKeyKind.Blob);

    /// <summary>Seals <paramref name="stored"/> (already compressed) into <paramref name="dest"/>: ciphertext ‖ tag.</summary>
    public void Seal(ReadOnlySpan<byte> stored, long offset, BlockKind kind, byte type, Span<byte> dest)
    {
        Span<byte> nonce = stackalloc byte[AeadPool.NonceSize];
        Span<byte> ad = stackalloc byte[AdSize];
        Build(offset, kind, type, nonce, ad);
        _aead.Seal(nonce, stored, dest[..stored.Length], dest.Slice(stored.Length, Overhead), ad);
    }

    /// <summary>
    /// Opens sealed bytes (ciphertext ‖ tag) in place; returns the plaintext length. Throws
    /// <see cref="CorruptionException"/> naming <paramref name="path"/> and <paramref name="offset"/> when they do not authenticate.
    /// </summary>
    public int Open(Span<byte> sealedBytes, long offset, BlockKind kind, byte type, string path)
    {
        if (sealedBytes.Length < Overhead) throw new CorruptionException("sealed block shorter than its authentication tag", path, offset);
        int length = sealedBytes.Length - Overhead;
        Span<byte> nonce = stackalloc byte[AeadPool.NonceSize];
        Span<byte> ad = stackalloc byte[AdSize];
        Build(offset, kind, type, nonce, ad);
        if (!_aead.TryOpen(nonce, sealedBytes[..length], sealedBytes.Slice(length, Overhead), sealedBytes[..length], ad))
            throw new CorruptionException($"{kind} block does not authenticate (damaged, moved, replaced or sealed with another key)", path, offset);
        return length;
    }

    private void Build(long offset, BlockKind kind, byte type, Span<byte> nonce, Span<byte> ad)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(nonce, (ulong)offset);
        BinaryPrimitives.WriteUInt32LittleEndian(nonce[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(ad, TableFormat);
        _databaseId.CopyTo(ad[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(ad[20..], _columnFamily);
        BinaryPrimitives.WriteUInt64LittleEndian(ad[24..], (ulong)_fileNumber);
        BinaryPrimitives.WriteUInt64LittleEndian(ad[32..], (ulong)offset);
        ad[40] = (byte)kind;
        ad[41] = type;
    }

    public void Dispose() => _aead.Dispose();
}
