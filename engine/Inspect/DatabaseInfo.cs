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
}

/// <summary>One column family.</summary>
public sealed class ColumnFamilyInfo
{
    /// <summary>Name.</summary>
    public required string Name { get; init; }
    /// <summary>Id.</summary>
    public uint Id { get; init; }
    /// <summary>Write-ahead logs below this number hold nothing unflushed of this family.</summary>
    public long LogNumber { get; init; }
    /// <summary>Stored options as name=value lines.</summary>
    public string Options { get; init; } = "";
    /// <summary>Levels 0 to NumLevels-1.</summary>
    public required IReadOnlyList<LevelInfo> Levels { get; init; }
}

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

/// <summary>One table file, from the MANIFEST and the table's properties block.</summary>
public sealed record TableFileInfo
{
    /// <summary>File number.</summary>
    public long Number { get; init; }
    /// <summary>File name.</summary>
    public required string FileName { get; init; }
    /// <summary>Level the MANIFEST places the table in (-1 when read outside a database).</summary>
    public int Level { get; init; } = -1;
    /// <summary>Size in bytes.</summary>
    public long FileSize { get; init; }
    /// <summary>Smallest user key.</summary>
    public required byte[] SmallestKey { get; init; }
    /// <summary>Largest user key.</summary>
    public required byte[] LargestKey { get; init; }
    /// <summary>Smallest sequence number.</summary>
    public ulong SmallestSequence { get; init; }
    /// <summary>Largest sequence number.</summary>
    public ulong LargestSequence { get; init; }
    /// <summary>Point entries (values and tombstones).</summary>
    public long Entries { get; init; }
    /// <summary>Point tombstones.</summary>
    public long Deletions { get; init; }
    /// <summary>Range tombstone fragments.</summary>
    public long RangeDeletions { get; init; }
    /// <summary>Bytes of data blocks before compression.</summary>
    public long UncompressedDataSize { get; init; }
    /// <summary>Bytes of data blocks as stored.</summary>
    public long DataSize { get; init; }
    /// <summary>Bytes of the bloom filter.</summary>
    public long FilterSize { get; init; }
    /// <summary>Bytes of the index block.</summary>
    public long IndexSize { get; init; }
    /// <summary>Compression of data blocks.</summary>
    public string Compression { get; init; } = "";
    /// <summary>Column family name recorded in the table.</summary>
    public string ColumnFamilyName { get; init; } = "";
    /// <summary>Data blocks.</summary>
    public long DataBlocks { get; init; }
    /// <summary>Bloom filter bits per key.</summary>
    public int BloomBitsPerKey { get; init; }
    /// <summary>Creation time (Unix milliseconds).</summary>
    public long CreationTimeMs { get; init; }
    /// <summary>Uncompressed over stored data bytes (1 when not compressed).</summary>
    public double CompressionRatio => DataSize == 0 ? 1 : (double)UncompressedDataSize / DataSize;
    /// <summary>Set when the table's properties could not be read.</summary>
    public string? Error { get; init; }
}

/// <summary>A write-ahead log file.</summary>
public sealed class LogFileInfo
{
    /// <summary>File number.</summary>
    public long Number { get; init; }
    /// <summary>File name.</summary>
    public required string FileName { get; init; }
    /// <summary>Size in bytes.</summary>
    public long Size { get; init; }
}
