namespace LatticeKV.Inspect;

/// <summary>One level of a column family.</summary>
public sealed class LevelInfo
{
    /// <summary>Level number.</summary>
    public int Level { get; init; }
    /// <summary>Tables, in key order (level 0: newest first).</summary>
    public required IReadOnlyList<TableFileInfo> Files { get; init; }
    /// <summary>Total bytes of the level's tables.</summary>
    public long Bytes => Files.Sum(f => f.FileSize);
}
