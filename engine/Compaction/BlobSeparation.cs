using LatticeKV.Blob;

namespace LatticeKV.Compaction;

/// <summary>
/// How a flush or compaction of one column family treats values apart from keys (FORMAT.md §21):
/// values of at least <see cref="Threshold"/> bytes go to blob files (0: none do), and references
/// into the files of <see cref="Relocate"/> are garbage-collected: their values
/// are copied into the job's new blob files, so the old files can go once nothing else refers to them.
/// </summary>
/// <param name="Threshold">Values of at least this many bytes go to blob files; 0: none.</param>
/// <param name="ZstdLevel">Zstd level of blob records (they are kept uncompressed when zstd saves too little).</param>
/// <param name="ColumnFamily">The family, recorded in each blob file's header.</param>
/// <param name="Files">The database's blob files, read to move or judge values.</param>
/// <param name="Relocate">Blob files whose garbage ratio reached the family's threshold: references into them are moved.</param>
/// <param name="FileKeys">
/// The data key of each blob file of the job's version (0: plain). References into a file sealed
/// with another key than the job's tables are moved too (§21.7): a table refers only to blob files
/// of its own key, so re-encrypting the tables of an old key generation re-encrypts its blob files.
/// </param>
internal sealed record BlobSeparation(int Threshold, int ZstdLevel, uint ColumnFamily, BlobFileCache Files, IReadOnlySet<long>? Relocate = null,
    IReadOnlyDictionary<long, uint>? FileKeys = null)
{
    /// <summary>References into <paramref name="file"/> move to the job's own blob files: it is being collected or sealed with another key than <paramref name="jobKeyId"/>.</summary>
    public bool MustRelocate(long file, uint jobKeyId)
        => Relocate?.Contains(file) == true || (FileKeys is not null && FileKeys.TryGetValue(file, out uint key) && key != jobKeyId);

    /// <summary>A blob file is closed and the next one begun once it reaches this size.</summary>
    public long MaxFileSize { get; init; } = 256L << 20;
}
