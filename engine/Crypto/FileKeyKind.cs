namespace LatticeKV.Crypto;

/// <summary>
/// What a derived key protects; part of every derivation's info and every associated data, so a
/// key or a sealed byte string of one kind never opens as another. Persistent format: do not renumber.
/// </summary>
internal enum FileKeyKind : byte
{
    Table = 1,
    Log = 2,
    Manifest = 3,
    Registry = 4,
    Verify = 5,
    Scope = 6,
    /// <summary>A sealed blob file's records (FORMAT.md §21.7).</summary>
    Blob = 7,
}
