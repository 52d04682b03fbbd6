using System.Security.Cryptography;

namespace LatticeKV.Ledger.Merkle;

/// <summary>
/// Signs the ledger's checkpoints with its ECDSA P-256 key. The key is either given (the
/// caller owns it) or loaded from the ledger's family, created there on first use as a PKCS#8
/// private key (FORMAT.md §22.3). The family may be encrypted; the key's bytes never appear in
/// a message, log or exception. Thread-safe.
/// </summary>
internal sealed class CheckpointSigner : IDisposable
{
    private readonly ECDsa _key;
    private readonly bool _ownsKey;
    private readonly Lock _lock = new();

    /// <summary>A signer with <paramref name="key"/> (a P-256 private key, not disposed by the signer).</summary>
    internal CheckpointSigner(ECDsa key, string origin, string keyName)
        : this(key, origin, keyName, ownsKey: false) { }

    private CheckpointSigner(ECDsa key, string origin, string keyName, bool ownsKey)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256) throw new InvalidArgumentException("ledger checkpoints are signed with P-256 keys", nameof(key));
        _key = key;
        _ownsKey = ownsKey;
        Origin = origin;
        KeyName = keyName;
        PublicKey = key.ExportSubjectPublicKeyInfo();
    }

    /// <summary>The origin line of every checkpoint signed.</summary>
    internal string Origin { get; }

    /// <summary>The key name of every signature line.</summary>
    internal string KeyName { get; }

    /// <summary>The public key as DER SubjectPublicKeyInfo, what verifiers are given.</summary>
    internal byte[] PublicKey { get; }

    /// <summary>Loads the family's signing key, creating and storing one (synced) when it has none.</summary>
    /// <exception cref="CorruptionException">The stored key is not a P-256 PKCS#8 private key.</exception>
    internal static CheckpointSigner LoadOrCreate(LatticeDb db, ColumnFamilyHandle family, string origin, string keyName)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(family);
        var stored = db.Get(family, MerkleKeys.SigningKeyKey());
        if (stored is null)
        {
            var created = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var pkcs8 = created.ExportPkcs8PrivateKey();
            try
            {
                db.Put(family, MerkleKeys.SigningKeyKey(), pkcs8, new WriteOptions { Sync = true });
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
            return new CheckpointSigner(created, origin, keyName, ownsKey: true);
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(stored, out int read);
            if (read != stored.Length || key.KeySize != 256)
                throw new CorruptionException($"the ledger signing key in family '{family.Name}' is not a P-256 private key");
            return new CheckpointSigner(key, origin, keyName, ownsKey: true);
        }
        catch (CryptographicException)
        {
            key.Dispose();
            // The cause is left out: it could describe the key's bytes.
            throw new CorruptionException($"the ledger signing key in family '{family.Name}' cannot be read");
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stored);
        }
    }

    /// <summary>Signs the tree of <paramref name="treeSize"/> leaves with root <paramref name="rootHash"/> at <paramref name="timestamp"/>.</summary>
    internal LedgerCheckpoint Sign(long treeSize, ReadOnlySpan<byte> rootHash, DateTimeOffset timestamp)
    {
        // ECDsa instances are not documented as thread-safe.
        lock (_lock) return LedgerCheckpoint.Sign(Origin, treeSize, rootHash, timestamp, KeyName, _key);
    }

    public void Dispose()
    {
        if (_ownsKey) _key.Dispose();
    }
}
