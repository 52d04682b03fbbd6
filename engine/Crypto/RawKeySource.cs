namespace LatticeKV.Crypto;

/// <summary>A master key given as 32 raw bytes; no parameters.</summary>
internal sealed class RawKeySource(ReadOnlySpan<byte> key) : MasterKeySource
{
    private readonly byte[] _key = key.ToArray();

    public override MasterKeyKind Kind => MasterKeyKind.RawKey;

    public override byte[] CreateParameters() => [];

    public override void DeriveMasterKey(MasterKeyKind storedKind, ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> databaseId, Span<byte> masterKey)
    {
        if (storedKind != MasterKeyKind.RawKey)
            throw new EncryptionKeyException($"this database's master key comes from {PassphraseKeySource.Describe(storedKind)}, not from a raw key");
        _key.CopyTo(masterKey);
    }

    public override string Describe() => "raw key";
}
