namespace LatticeKV.Manifest;

/// <summary>What <see cref="VersionSet.CaptureManifest"/> saw: a consistent MANIFEST prefix and the tables and blob files it describes.</summary>
internal sealed record ManifestCapture(long Number, long Length, long MinLogNumber, IReadOnlyList<(uint ColumnFamily, int Level, FileMetaData File)> Tables)
{
    /// <summary>The blob files of the captured versions (FORMAT.md §21).</summary>
    public IReadOnlyList<(uint ColumnFamily, Blob.BlobFileMetaData File)> BlobFiles { get; init; } = [];
}
