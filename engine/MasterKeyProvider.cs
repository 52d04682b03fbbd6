using LatticeKV.Crypto;

namespace LatticeKV;

/// <summary>
/// Supplies an encrypted database's 32-byte master key from outside the engine (an OS key store,
/// an HSM, a cloud KMS). <see cref="CreateParameters"/> is stored in the key registry when it is
/// written (for example which key the store should unwrap) and handed back on every open.
/// </summary>
public abstract class MasterKeyProvider
{
    /// <summary>A short name of the provider, stored (not secret).</summary>
    public abstract string Kind { get; }

    /// <summary>Parameters to store in the registry (not secret); default none.</summary>
    public virtual byte[] CreateParameters() => [];

    /// <summary>Writes the 32-byte master key for <paramref name="databaseId"/> into <paramref name="masterKey"/>.</summary>
    public abstract void GetMasterKey(ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> databaseId, Span<byte> masterKey);
}

/// <summary>Adapts a <see cref="MasterKeyProvider"/>; stores its kind before its parameters.</summary>
internal sealed class ProviderKeySource(MasterKeyProvider provider) : MasterKeySource
{
    public override MasterKeyKind Kind => MasterKeyKind.Provider;

    public override byte[] CreateParameters()
    {
        var w = new Coding.ByteWriter(64);
        w.WriteLengthPrefixed(Coding.Utf8.GetBytes(provider.Kind));
        w.WriteLengthPrefixed(provider.CreateParameters());
        return w.ToArray();
    }

    public override void DeriveMasterKey(MasterKeyKind storedKind, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> databaseId, Span<byte> masterKey)
    {
        if (storedKind != MasterKeyKind.Provider)
            throw new EncryptionKeyException($"this database's master key comes from {PassphraseKeySource.Describe(storedKind)}, not from a key provider");
        ReadOnlySpan<byte> inner;
        try
        {
            var r = new Coding.SpanReader(parameters);
            string kind = Coding.Utf8.GetString(r.ReadLengthPrefixed());
            if (kind != provider.Kind) throw new EncryptionKeyException($"this database's master key comes from provider '{kind}', not '{provider.Kind}'");
            inner = r.ReadLengthPrefixed();
        }
        catch (CorruptionException ex) { throw new EncryptionKeyException("the key registry's provider parameters are malformed", ex); }
        try { provider.GetMasterKey(inner, databaseId, masterKey[..32]); }
        catch (Exception ex) when (ex is not LatticeException) { throw new EncryptionKeyException($"key provider '{provider.Kind}' failed: {ex.Message}", ex); }
    }

    public override string Describe() => $"key provider '{provider.Kind}'";
}
