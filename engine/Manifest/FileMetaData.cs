using LatticeKV.Keys;

namespace LatticeKV.Manifest;

/// <summary>
/// What the MANIFEST records about one table. Immutable except <see cref="BeingCompacted"/>,
/// which is guarded by the database mutex.
/// </summary>
internal sealed class FileMetaData
{
    public required long Number { get; init; }
    public required long FileSize { get; init; }
    /// <summary>Smallest internal key (a range tombstone start counts).</summary>
    public required byte[] Smallest { get; init; }
    /// <summary>Largest internal key; may be a range-end sentinel (exclusive).</summary>
    public required byte[] Largest { get; init; }
    public ulong SmallestSequence { get; init; }
    public ulong LargestSequence { get; init; }
    public long NumEntries { get; init; }
    public long NumDeletions { get; init; }
    public long NumRangeDeletions { get; init; }
    public long RawKeySize { get; init; }
    public long RawValueSize { get; init; }
    /// <summary>The registry key that seals the table's blocks; 0 for a plaintext table.</summary>
    public uint KeyId { get; init; }
    /// <summary>
    /// XXH3-64 of the whole file as written (<see cref="Sst.TableBuilder.Checksum"/>); 0 when unknown
    /// (tables written before the field existed). With the database id, number and size it names
    /// the file in a backup, so two different files are never taken for one.
    /// </summary>
    public ulong Checksum { get; init; }

    /// <summary>
    /// What the block cache's compressed tier may hold of this table: its size scaled by the
    /// share of its data blocks a codec compressed (blocks it could not shrink are stored raw and
    /// cached only decompressed); -1 when not known. Kept in memory only (the MANIFEST does not
    /// record it): the job that writes a table sets it.
    /// </summary>
    public long CompressedTierBytes { get; init; } = -1;

    /// <summary>Guarded by the database mutex.</summary>
    public bool BeingCompacted { get; set; }

    /// <summary>
    /// The blob files this table's entries refer to (FORMAT.md §21), ascending; null while not
    /// known. Kept in memory only (the MANIFEST does not record it): the job that writes a table
    /// sets it, and for a table recovered at open, background blob garbage collection reads the
    /// table once to learn it. Set at most once with the same numbers by whoever learns them
    /// first, so it is read and written without a lock.
    /// </summary>
    public long[]? BlobFileNumbers
    {
        get => Volatile.Read(ref _blobFileNumbers);
        set => Volatile.Write(ref _blobFileNumbers, value);
    }

    private long[]? _blobFileNumbers;

    /// <summary>
    /// The table cache's entry for this file when last opened: lets a lookup skip the cache's
    /// dictionary. Only a hint; the cache validates it (an evicted entry cannot be acquired).
    /// </summary>
    internal object? CachedTable;

    public ReadOnlySpan<byte> SmallestUserKey => InternalKey.UserKey(Smallest);

    public ReadOnlySpan<byte> LargestUserKey => InternalKey.UserKey(Largest);

    /// <summary>True when <see cref="Largest"/> is a range-end sentinel: its user key itself is not in the file.</summary>
    public bool LargestIsExclusive => InternalKey.IsRangeEndSentinel(Largest);

    /// <summary>
    /// Size weighted up by deletions (RocksDB's compensated file size): when at least half of a
    /// file's entries are tombstones, each tombstone beyond the puts counts as twice the average
    /// value of the tree. Such files shadow data below them, and that data and the tombstones
    /// both go only once they meet, so they are compacted long before their own bytes would
    /// make their level outgrow its target.
    /// </summary>
    public long CompensatedSize(double averageValueSize)
    {
        long excess = 2 * NumDeletions - NumEntries;
        if (NumDeletions <= 0 || excess < 0) return FileSize;
        return FileSize + (long)(excess * averageValueSize * DeletionWeight);
    }

    private const int DeletionWeight = 2;

    // The key range of a sealed table is as secret as its contents.
    public override string ToString() => KeyId != 0
        ? $"#{Number} {FileSize}B (sealed, key {KeyId})"
        : $"#{Number} {FileSize}B [{InternalKey.Describe(Smallest)} .. {InternalKey.Describe(Largest)}]";
}
