namespace LatticeKV.Inspect;

/// <summary>One column family.</summary>
public sealed class ColumnFamilyInfo
{
    /// <summary>Name.</summary>
    public required string Name { get; init; }
    /// <summary>Id.</summary>
    public uint Id { get; init; }
    /// <summary>Write-ahead logs below this number hold nothing unflushed of this family.</summary>
    public long LogNumber { get; init; }
    /// <summary>True when the family is encrypted (its options say so, or its tables are sealed): its key ranges are withheld.</summary>
    public bool Encrypted { get; init; }
    /// <summary>Stored options as name=value lines.</summary>
    public string Options { get; init; } = "";
    /// <summary>Levels 0 to NumLevels-1.</summary>
    public required IReadOnlyList<LevelInfo> Levels { get; init; }
}
