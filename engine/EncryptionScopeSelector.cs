namespace LatticeKV;

/// <summary>
/// Maps a key of a column family to its encryption scope (for example the user id prefix of
/// the key); an empty scope means the value is not scoped. Must be deterministic: the same key
/// must always map to the same scope, on every open (<c>ColumnFamilyOptions.EncryptionScope</c>).
/// The returned span may be a slice of <paramref name="key"/>.
/// </summary>
public delegate ReadOnlySpan<byte> EncryptionScopeSelector(ReadOnlySpan<byte> key);
