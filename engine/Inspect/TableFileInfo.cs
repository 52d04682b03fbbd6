namespace LatticeKV.Inspect;

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
    /// <summary>Smallest user key; empty for a table of an encrypted family (<see cref="KeyRangeHidden"/>).</summary>
    public required byte[] SmallestKey { get; init; }
    /// <summary>Largest user key; empty for a table of an encrypted family (<see cref="KeyRangeHidden"/>).</summary>
    public required byte[] LargestKey { get; init; }
    /// <summary>
    /// True when <see cref="SmallestKey"/> and <see cref="LargestKey"/> are withheld: keys of an
    /// encrypted family are never shown outside the database, even to a caller with the key.
    /// </summary>
    public bool KeyRangeHidden { get; init; }
    /// <summary>The key the table is sealed with (0: plaintext).</summary>
    public uint KeyId { get; init; }
    /// <summary>The generation of <see cref="KeyId"/> (0 when plaintext or unknown).</summary>
    public uint KeyGeneration { get; init; }
    /// <summary>True when the table is sealed.</summary>
    public bool Encrypted => KeyId != 0;
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
