namespace LatticeKV.Inspect;

/// <summary>One item of a file dump, in file order (see <see cref="FileDumper"/>).</summary>
[System.Diagnostics.CodeAnalysis.Experimental(Experimental.FileDumpDiagnostic)]
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
