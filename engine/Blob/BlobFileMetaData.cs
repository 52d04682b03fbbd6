namespace LatticeKV.Blob;

/// <summary>
/// What the MANIFEST records about one blob file (FORMAT.md §21.4): its size and records, and
/// how much of it compactions have found dead. Immutable: garbage accrues by new instances.
/// </summary>
internal sealed record BlobFileMetaData
{
    public required long Number { get; init; }

    public required long FileSize { get; init; }

    /// <summary>Records in the file.</summary>
    public required long TotalCount { get; init; }

    /// <summary>The records' bytes on disk (headers included; the file's header and footer not).</summary>
    public required long TotalBytes { get; init; }

    /// <summary>XXH3-64 of the file as written (0: unknown).</summary>
    public ulong Checksum { get; init; }

    /// <summary>The data key sealing the file's records (FORMAT.md §21.7; MANIFEST tag 15); 0 for a plain file.</summary>
    public uint KeyId { get; init; }

    /// <summary>Records no table refers to any more.</summary>
    public long GarbageCount { get; init; }

    public long GarbageBytes { get; init; }

    /// <summary>Every record is garbage: no table refers to the file.</summary>
    public bool IsDead => GarbageCount >= TotalCount;

    /// <summary>Share of the records' bytes that are garbage (0 to 1).</summary>
    public double GarbageRatio => TotalBytes == 0 ? 1 : (double)GarbageBytes / TotalBytes;
}
