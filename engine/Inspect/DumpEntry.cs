namespace LatticeKV.Inspect;

/// <summary>What a <see cref="DumpEntry"/> holds.</summary>
public enum DumpEntryKind
{
    /// <summary>A value (<see cref="DumpEntry.Key"/>, <see cref="DumpEntry.Value"/>).</summary>
    Put,
    /// <summary>A point tombstone.</summary>
    Delete,
    /// <summary>A range tombstone: keys from <see cref="DumpEntry.Key"/> up to, not including, <see cref="DumpEntry.Value"/>.</summary>
    RangeDelete,
    /// <summary>A MANIFEST edit (<see cref="DumpEntry.Edit"/>).</summary>
    Edit,
    /// <summary>Damage: <see cref="DumpEntry.Message"/> says what; the dump resumes after it where the format allows.</summary>
    Corruption,
    /// <summary>An interrupted last write at the end of a log: recovery drops it, it is not damage.</summary>
    TornTail,
}

/// <summary>One item of a file dump, in file order (see <see cref="FileDumper"/>).</summary>
public sealed class DumpEntry
{
    /// <summary>What this item is.</summary>
    public DumpEntryKind Kind { get; init; }
    /// <summary>File offset of the log record or table block that holds the item.</summary>
    public long Offset { get; init; }
    /// <summary>Sequence number (0 for edits and damage).</summary>
    public ulong Sequence { get; init; }
    /// <summary>Column family id (from the log record or the table's properties).</summary>
    public uint ColumnFamilyId { get; init; }
    /// <summary>User key (begin key of a range tombstone).</summary>
    public ReadOnlyMemory<byte> Key { get; init; }
    /// <summary>Value (exclusive end key of a range tombstone).</summary>
    public ReadOnlyMemory<byte> Value { get; init; }
    /// <summary>Write time (Unix ms) of a value written to a column family with a TTL; the log record's commit time for log entries.</summary>
    public long? WriteTimeMs { get; init; }
    /// <summary>The decoded edit of a MANIFEST record.</summary>
    public ManifestEditInfo? Edit { get; init; }
    /// <summary>For damage: what is wrong and how many bytes were skipped.</summary>
    public string? Message { get; init; }
}

/// <summary>One edit of a MANIFEST record, decoded.</summary>
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

/// <summary>A table an edit removes from a level.</summary>
/// <param name="Level">Level.</param>
/// <param name="Number">File number.</param>
public readonly record struct ManifestDeletedFile(int Level, long Number);

/// <summary>Which format a dumped file has.</summary>
public enum DumpFileKind
{
    /// <summary>A sorted table (<c>NNNNNN.sst</c>).</summary>
    Table,
    /// <summary>A write-ahead log (<c>NNNNNN.log</c>).</summary>
    Log,
    /// <summary>A MANIFEST (<c>MANIFEST-NNNNNN</c>).</summary>
    Manifest,
}

/// <summary>The totals of a file dump.</summary>
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
