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
    public KeyState State { get; set; }

    public override string ToString() => $"key {Id} ({Purpose}, family {ColumnFamilyId}, generation {Generation}, {State})";
}
