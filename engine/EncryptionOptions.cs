using LatticeKV.Crypto;

namespace LatticeKV;

/// <summary>
/// Where an encrypted database's master key comes from (<see cref="DbOptions.Encryption"/>). The
/// master key only wraps the key registry; data is sealed with random per-family keys
/// (<see cref="ColumnFamilyOptions.Encrypted"/>). An encrypted database always needs these
/// options to open, whichever families are encrypted; a wrong or missing key throws
/// <see cref="EncryptionKeyException"/> and changes no file.
/// </summary>
public sealed class EncryptionOptions
{
    private EncryptionOptions(MasterKeySource source) => Source = source;

    internal MasterKeySource Source { get; }

    /// <summary>
    /// Bytes per second background compaction may rewrite to re-encrypt files under a new key
    /// generation (after <c>LatticeDb.RotateEncryptionKey</c>) or to apply a change of
    /// <see cref="ColumnFamilyOptions.Encrypted"/>. Default 16 MiB/s; 0 leaves it to
    /// <c>LatticeDb.CompactRange</c>.
    /// </summary>
    public long ReencryptionBytesPerSecond { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// A master key derived from <paramref name="passphrase"/> with <paramref name="kdf"/>
    /// (default <see cref="PassphraseKdf.Default"/>: Argon2id). The salt and cost are stored in
    /// the key registry, so an existing database opens with whatever it was created with.
    /// </summary>
    public static EncryptionOptions FromPassphrase(string passphrase, PassphraseKdf? kdf = null)
    {
        if (string.IsNullOrEmpty(passphrase)) throw new InvalidArgumentException("The passphrase must not be empty.", nameof(passphrase));
        kdf ??= PassphraseKdf.Default;
        return new EncryptionOptions(new PassphraseKeySource(passphrase, kdf.Kind, kdf.MemoryKiB, kdf.Iterations, kdf.Parallelism));
    }

    /// <summary>A 32-byte master key given directly (from a file or a secret store).</summary>
    public static EncryptionOptions FromKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32) throw new InvalidArgumentException($"An encryption master key must be 32 bytes, not {key.Length}.", nameof(key));
        return new EncryptionOptions(new RawKeySource(key));
    }

    /// <summary>A master key supplied by <paramref name="provider"/> (an OS key store, an HSM, a KMS).</summary>
    public static EncryptionOptions FromProvider(MasterKeyProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return new EncryptionOptions(new ProviderKeySource(provider));
    }

    /// <summary>A description without secrets.</summary>
    public override string ToString() => Source.Describe();

    internal void Validate()
    {
        if (ReencryptionBytesPerSecond < 0)
            throw new InvalidArgumentException("ReencryptionBytesPerSecond must not be negative.", nameof(ReencryptionBytesPerSecond));
    }
}
