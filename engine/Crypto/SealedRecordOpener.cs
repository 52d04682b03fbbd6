namespace LatticeKV.Crypto;

/// <summary>
/// Opens the sealed records of one write-ahead log or MANIFEST as a reader meets them. Every
/// failure is a <see cref="CorruptionException"/> naming the file and the record's offset, so
/// recovery treats a record that does not authenticate like any damaged record.
/// </summary>
internal sealed class SealedRecordOpener(KeyRegistry keys, FileKeyKind kind, long number, string path) : IDisposable
{
    private RecordCipher? _cipher;
    private byte[] _buffer = new byte[256];

    /// <summary>An opener when file <paramref name="number"/> is sealed in this database; null when its records are plain.</summary>
    public static SealedRecordOpener? For(KeyRegistry? keys, FileKeyKind kind, long number, string path)
        => keys is not null && number >= keys.SealedFrom ? new SealedRecordOpener(keys, kind, number, path) : null;

    /// <summary>The plaintext of <paramref name="record"/>, valid until the next call.</summary>
    public ReadOnlySpan<byte> Open(ReadOnlySpan<byte> record, long offset)
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
        return _buffer.AsSpan(0, length);
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_buffer);
    }
}
