namespace LatticeKV.Inspect;

/// <summary>One edit of a MANIFEST record, decoded.</summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
public sealed class ManifestEditInfo
{
    /// <summary>Column family the edit applies to.</summary>
    public uint ColumnFamilyId { get; init; }
    /// <summary>Name of a column family this edit creates.</summary>
    public string? ColumnFamilyAdded { get; init; }
    /// <summary>True when the edit drops the column family.</summary>
    public bool ColumnFamilyDropped { get; init; }
    /// <summary>Comparator name (first edit of a MANIFEST).</summary>
    public string? Comparator { get; init; }
    /// <summary>Database format version.</summary>
    public uint? FormatVersion { get; init; }
    /// <summary>Write-ahead logs below this number are no longer needed by the column family.</summary>
    public long? LogNumber { get; init; }
    /// <summary>Next file number.</summary>
    public long? NextFileNumber { get; init; }
    /// <summary>Last sequence number.</summary>
    public ulong? LastSequence { get; init; }
    /// <summary>Largest column family id in use.</summary>
    public uint? MaxColumnFamily { get; init; }
    /// <summary>Stored column family options as name=value lines.</summary>
    public string? ColumnFamilyOptions { get; init; }
    /// <summary>Tables added, with their levels.</summary>
    public required IReadOnlyList<TableFileInfo> AddedFiles { get; init; }
    /// <summary>Tables removed: (level, file number).</summary>
    public required IReadOnlyList<ManifestDeletedFile> DeletedFiles { get; init; }
}
