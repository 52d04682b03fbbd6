namespace LatticeKV.Backup;

/// <summary>
/// One stored run of a file's bytes (FORMAT.md §13): the bytes from <paramref name="Offset"/> of
/// the file, <paramref name="Size"/> long, kept at <paramref name="Path"/> with XXH3-64
/// <paramref name="Checksum"/>. A file a backup restores is its pieces concatenated in order.
/// </summary>
internal sealed record BackupPiece(string Path, long Offset, long Size, ulong Checksum);
