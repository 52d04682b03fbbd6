namespace LatticeKV.Crypto;

/// <summary>
/// Opens the sealed records of one write-ahead log or MANIFEST as a reader meets them, in either
/// layout (<see cref="RecordCipher"/>): a log's cipher header (<see cref="TakeLogHeader"/>) switches
/// it to the compact layout for the records after it; before any header, records are whole. Every
/// failure is a <see cref="CorruptionException"/> naming the file and the record's offset, so
/// recovery treats a record that does not authenticate like any damaged record.
/// </summary>
internal sealed class SealedRecordOpener(KeyRegistry keys, FileKeyKind kind, long number, string path, bool salvage) : IDisposable
{
    private RecordCipher? _cipher;
    private byte[] _buffer = new byte[256];
    private uint _expected; // the ordinal the next record must carry
    private uint _headerKeyId; // 0 until a log cipher header is read: records are whole
    private byte[]? _salt;

    /// <summary>
    /// An opener when file <paramref name="number"/> is sealed in this database; null when its
    /// records are plain. With <paramref name="salvage"/> (repair, dumps) records may be missing
    /// between those read; otherwise each must carry the next ordinal.
    /// </summary>
    public static SealedRecordOpener? For(KeyRegistry? keys, FileKeyKind kind, long number, string path, bool salvage = false)
        => keys is not null && number >= keys.SealedFrom ? new SealedRecordOpener(keys, kind, number, path, salvage) : null;

    /// <summary>
    /// True when <paramref name="record"/> is a log's cipher header (FORMAT.md §12, compact
    /// records): taken, it holds no batch, and the records after it are compact. A header that
    /// names another key or salt than the file's first one is damage (<see cref="CorruptionException"/>);
    /// salvaging, the newest header rules. MANIFESTs have no header.
    /// </summary>
    public bool TakeLogHeader(ReadOnlySpan<byte> record, long offset)
    {
        if (kind != FileKeyKind.Log || !RecordCipher.TryReadLogHeader(record, out uint keyId, out var salt)) return false;
        if (_salt is null)
        {
            if (_expected > 0 && !salvage) throw new CorruptionException("log cipher header after whole sealed records (records spliced from another log)", path, offset);
        }
        else if (keyId == _headerKeyId && salt.SequenceEqual(_salt)) return true;
        else if (!salvage) throw new CorruptionException("log cipher header differs from the log's first one (damage, or records spliced from another log)", path, offset);
        // The first header, or (salvaging) one that differs from those before it: a damaged earlier
        // header must not keep the records after an intact one from opening.
        if (keyId == 0) throw new CorruptionException("log cipher header names key 0", path, offset);
        _headerKeyId = keyId;
        _salt = salt.ToArray();
        _cipher?.Dispose();
        _cipher = null;
        return true;
    }

    /// <summary>The metadata key a record of this file is sealed with (the header's for compact records), or 0 when unknown.</summary>
    public uint KeyIdOf(ReadOnlySpan<byte> record) => _salt is not null ? _headerKeyId : RecordCipher.KeyIdOf(record);

    /// <summary>
    /// The plaintext of <paramref name="record"/>, valid until the next call. A record whose
    /// ordinal is not the next one (records removed, reordered or duplicated) is a
    /// <see cref="CorruptionException"/>, unless <paramref name="afterDamage"/> says the reader
    /// reported damage just before it (records lost there) and the ordinal moves forward.
    /// </summary>
    public ReadOnlySpan<byte> Open(ReadOnlySpan<byte> record, long offset, bool afterDamage = false)
    {
        bool compact = _salt is not null;
        uint id = compact ? _headerKeyId : RecordCipher.KeyIdOf(record);
        if (id == 0) throw new CorruptionException("record is not sealed, but this file must be (plaintext injected, or damage)", path, offset);
        int length = record.Length - (compact ? RecordCipher.CompactOverhead : RecordCipher.Overhead);
        if (length < 0) throw new CorruptionException("sealed record is shorter than its envelope", path, offset);
        if (_cipher is null || _cipher.KeyId != id)
        {
            var key = keys.Find(id);
            if (key is null) throw new CorruptionException($"sealed record names key {id}, which the key registry does not hold", path, offset);
            if (key.State == KeyState.Destroyed) throw new CorruptionException($"sealed record names key {id}, which was destroyed", path, offset);
            if (key.Purpose != KeyPurpose.Metadata) throw new CorruptionException($"sealed record names key {id}, which is not a metadata key", path, offset);
            _cipher?.Dispose();
            _cipher = new RecordCipher(key, keys.DatabaseId, kind, number, compact ? _salt : default);
        }
        if (_buffer.Length < length) _buffer = new byte[Math.Max(length, _buffer.Length * 2)];
        if (!(compact ? _cipher.TryOpenCompact(record, _buffer) : _cipher.TryOpen(record, _buffer)))
            throw new CorruptionException("sealed record does not authenticate (damaged, moved or forged)", path, offset);
        uint ordinal = compact ? RecordCipher.CompactOrdinalOf(record) : RecordCipher.OrdinalOf(record);
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
