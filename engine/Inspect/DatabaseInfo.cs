namespace LatticeKV.Inspect;

/// <summary>The shape of a database on disk, read without opening it (see <see cref="DatabaseInspector"/>).</summary>
public sealed class DatabaseInfo
{
    /// <summary>The database directory.</summary>
    public required string Path { get; init; }
    /// <summary>Database format version recorded in the MANIFEST.</summary>
    public uint FormatVersion { get; init; }
    /// <summary>Name of the key comparator.</summary>
    public required string Comparator { get; init; }
    /// <summary>The live MANIFEST file name.</summary>
    public required string Manifest { get; init; }
    /// <summary>Size of the live MANIFEST in bytes.</summary>
    public long ManifestSize { get; init; }
    /// <summary>Newest sequence number the MANIFEST records (the write-ahead logs may hold newer ones).</summary>
    public ulong LastSequence { get; init; }
    /// <summary>Next file number.</summary>
    public long NextFileNumber { get; init; }
    /// <summary>Column families with their levels and tables.</summary>
    public required IReadOnlyList<ColumnFamilyInfo> ColumnFamilies { get; init; }
    /// <summary>Write-ahead log files present.</summary>
    public required IReadOnlyList<LogFileInfo> LogFiles { get; init; }
    /// <summary>The newest OPTIONS file's text, if any.</summary>
    public string? OptionsText { get; init; }
    /// <summary>Total bytes of all files in the directory.</summary>
    public long TotalBytes { get; init; }
    /// <summary>True when the database has a key registry (encryption at rest).</summary>
    public bool Encrypted { get; init; }
    /// <summary>Where the master key of an encrypted database comes from (a passphrase, a raw key, a provider), else null.</summary>
    public string? MasterKey { get; init; }
    /// <summary>
    /// True when an encrypted database was inspected without its key: its MANIFEST is sealed, so
    /// <see cref="ColumnFamilies"/> is empty, <see cref="Comparator"/> is empty and the sequence
    /// and file numbers are 0; <see cref="Files"/> alone describes it.
    /// </summary>
    public bool Locked { get; init; }
    /// <summary>Every file in the directory, in name order.</summary>
    public IReadOnlyList<DbFileInfo> Files { get; init; } = [];
}
