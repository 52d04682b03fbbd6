namespace LatticeKV.Crypto;

/// <summary>
/// Opens the sealed records of one write-ahead log or MANIFEST as a reader meets them. Every
/// failure is a <see cref="CorruptionException"/> naming the file and the record's offset, so
/// recovery treats a record that does not authenticate like any damaged record.
/// </summary>
internal sealed class SealedRecordOpener(KeyRegistry keys, FileKeyKind kind, long number, string path, bool salvage) : IDisposable
{
    private RecordCipher? _cipher;
    private byte[] _buffer = new byte[256];
    private uint _expected; // the ordinal the next record must carry

    /// <summary>
    /// An opener when file <paramref name="number"/> is sealed in this database; null when its
    /// records are plain. With <paramref name="salvage"/> (repair, dumps) records may be missing
    /// between those read; otherwise each must carry the next ordinal.
    /// </summary>
    public static SealedRecordOpener? For(KeyRegistry? keys, FileKeyKind kind, long number, string path, bool salvage = false)
        => keys is not null && number >= keys.SealedFrom ? new SealedRecordOpener(keys, kind, number, path, salvage) : null;

    /// <summary>
    /// The plaintext of <paramref name="record"/>, valid until the next call. A record whose
    /// ordinal is not the next one (records removed, reordered or duplicated) is a
    /// <see cref="CorruptionException"/>, unless <paramref name="afterDamage"/> says the reader
    /// reported damage just before it (records lost there) and the ordinal moves forward.
    /// </summary>
    public ReadOnlySpan<byte> Open(ReadOnlySpan<byte> record, long offset, bool afterDamage = false)
    {
        uint id = RecordCipher.KeyIdOf(record);
        if (id == 0) throw new CorruptionException("record is not sealed, but this file must be (plaintext injected, or damage)", path, offset);
        if (_cipher is null || _cipher.KeyId != id)
        {
            var key = keys.Find(id);
            if (key is null) throw new CorruptionException($"sealed record names key {id}, which the key registry does not hold", path, offset);
            if (key.State == KeyState.Destroyed) throw new CorruptionException($"sealed record names key {id}, which was destroyed", path, offset);
            if (key.Purpose != KeyPurpose.Metadata) throw new CorruptionException($"sealed record names key {id}, which is not a metadata key", path, offset);
            _cipher?.Dispose();
            _cipher = new RecordCipher(key, keys.DatabaseId, kind, number);
        }
        int length = record.Length - RecordCipher.Overhead;
        if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        if (!_cipher.TryOpen(record, _buffer))
            throw new CorruptionException("sealed record does not authenticate (damaged, moved or forged)", path, offset);
        uint ordinal = RecordCipher.OrdinalOf(record);
        if (ordinal != _expected && !((salvage || afterDamage) && ordinal > _expected))
            throw new CorruptionException($"sealed record number {ordinal} where number {_expected} was expected: records were removed, reordered or duplicated", path, offset);
        _expected = ordinal + 1;
        return _buffer.AsSpan(0, length);
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
    }
}
