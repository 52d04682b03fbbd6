namespace LatticeKV.Manifest;

/// <summary>What <see cref="VersionSet.CaptureManifest"/> saw: a consistent MANIFEST prefix and the tables it describes.</summary>
internal sealed record ManifestCapture(long Number, long Length, long MinLogNumber, IReadOnlyList<(uint ColumnFamily, int Level, FileMetaData File)> Tables);
