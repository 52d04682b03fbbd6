namespace LatticeKV.Crypto;

/// <summary>How the master key is obtained. Stored in the registry header. Persistent format: do not renumber.</summary>
internal enum MasterKeyKind : byte
{
    Argon2id = 1,
    Pbkdf2Sha256 = 2,
    RawKey = 3,
    Provider = 4,
}

/// <summary>
/// Supplies the 32-byte master key that wraps the registry. <see cref="CreateParameters"/> makes
/// what a new registry header stores (salts, costs); <see cref="DeriveMasterKey"/> turns the
/// stored kind and parameters plus the user's secret back into the key. A wrong secret is not
/// detected here but by the registry's verifier.
/// </summary>
internal abstract class MasterKeySource
{
    /// <summary>Kind a new registry records.</summary>
    public abstract MasterKeyKind Kind { get; }

    /// <summary>Parameters a new registry records (fresh salts).</summary>
    public abstract byte[] CreateParameters();

    /// <summary>Derives the master key from a registry's stored kind and parameters; throws <see cref="EncryptionKeyException"/> when this source cannot.</summary>
    public abstract void DeriveMasterKey(MasterKeyKind storedKind, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> databaseId, Span<byte> masterKey);

    /// <summary>A description without secrets, for messages and the OPTIONS file.</summary>
    public abstract string Describe();
}
