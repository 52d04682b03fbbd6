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
internal sealed record BlobSeparation(int Threshold, int ZstdLevel, uint ColumnFamily, BlobFileCache Files, IReadOnlySet<long>? Relocate = null)
{
    /// <summary>A blob file is closed and the next one begun once it reaches this size.</summary>
    public long MaxFileSize { get; init; } = 256L << 20;
}
