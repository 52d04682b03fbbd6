namespace LatticeKV.Inspect;

/// <summary>The totals of a file dump.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public sealed class FileDumpSummary
{
    /// <summary>The file dumped.</summary>
    public required string Path { get; init; }
    /// <summary>Its format.</summary>
    public DumpFileKind Kind { get; init; }
    /// <summary>File size in bytes.</summary>
    public long Size { get; init; }
    /// <summary>Entries (values, tombstones, edits) dumped.</summary>
    public long Entries { get; init; }
    /// <summary>Log records (log and MANIFEST) or data blocks (table) read intact.</summary>
    public long Records { get; init; }
    /// <summary>Damaged regions met.</summary>
    public int Corruptions { get; init; }
    /// <summary>Offset of the first damage, or -1.</summary>
    public long FirstCorruptionOffset { get; init; } = -1;
    /// <summary>Table properties, for a table whose metadata could be read (a sealed table read without its key: what its footer says).</summary>
    public TableFileInfo? Table { get; init; }
    /// <summary>True when the file is sealed (a table of an encrypted family, or a log or MANIFEST of an encrypted database).</summary>
    public bool Sealed { get; init; }
    /// <summary>The key a sealed table's footer or a sealed log's first record names (0 when plain or unknown).</summary>
    public uint KeyId { get; init; }
    /// <summary>The generation of <see cref="KeyId"/> (0 when unknown: dumped without the key).</summary>
    public uint KeyGeneration { get; init; }
    /// <summary>Why no entries were shown although the file may hold some (sealed and no key, or its key destroyed); null when its contents were read.</summary>
    public string? ContentsHidden { get; init; }
}
