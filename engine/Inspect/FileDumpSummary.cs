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
    /// <summary>Table properties, for a table whose metadata could be read.</summary>
    public TableFileInfo? Table { get; init; }
}
