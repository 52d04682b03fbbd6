namespace LatticeKV.Crypto;

/// <summary>What a registry key encrypts. Persistent format: do not renumber.</summary>
internal enum KeyPurpose : byte
{
    /// <summary>Tables of one column family.</summary>
    Data = 1,
    /// <summary>Write-ahead logs and MANIFESTs of the database.</summary>
    Metadata = 2,
    /// <summary>Values of one scope of one column family.</summary>
    Scope = 3,
}

/// <summary>Life of a registry key. Persistent format: do not renumber.</summary>
internal enum KeyState : byte
{
    /// <summary>Seals new files.</summary>
    Active = 1,
    /// <summary>Still opens what it sealed; seals nothing new.</summary>
    Retired = 2,
    /// <summary>Gone: what it sealed can never be read again.</summary>
    Destroyed = 3,
}

/// <summary>One key of the registry. <see cref="Material"/> is zeroed when the key is destroyed.</summary>
internal sealed class KeyEntry
{
    public required uint Id { get; init; }
    public required KeyPurpose Purpose { get; init; }
    public required uint ColumnFamilyId { get; init; }
    public required uint Generation { get; init; }
    public required long CreatedMs { get; init; }
    public required byte[] Scope { get; init; }
    public required byte[] Material { get; init; }
    public KeyState State
    {
        get => (KeyState)Volatile.Read(ref _state);
        set => Volatile.Write(ref _state, (int)value);
    }

    private int _state;

    /// <summary>
    /// A copy of the key's bytes to build a cipher from. Throws <see cref="EncryptionKeyException"/>
    /// when the key is destroyed, also when that happens during the copy (the state is set before
    /// the bytes are zeroed, and read here after copying them), so no cipher is ever keyed with zeros.
    /// </summary>
    public byte[] CopyLiveMaterial()
    {
        var copy = Material.ToArray();
        Interlocked.MemoryBarrier();
        if (State == KeyState.Destroyed)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(copy);
            throw new EncryptionKeyException($"key {Id} was destroyed (shredded)");
        }
        return copy;
    }

    public override string ToString() => $"key {Id} ({Purpose}, family {ColumnFamilyId}, generation {Generation}, {State})";
}
