namespace LatticeKV.Backup;

/// <summary>
/// One file a backup restores: its name in the database directory, where the backup keeps it,
/// its size and XXH3-64. A log stored as pieces (<see cref="Pieces"/>, descriptor format 2) is the
/// pieces concatenated; its <see cref="StoredPath"/> is then its first piece's.
/// </summary>
internal sealed record BackupFileEntry(string Name, string StoredPath, string Kind, long Size, ulong Checksum, IReadOnlyList<BackupPiece>? Pieces = null)
{
    /// <summary>The stored files the entry is made of, in order: its pieces, or the one file it is stored as.</summary>
    public IReadOnlyList<BackupPiece> Parts => Pieces ?? [new BackupPiece(StoredPath, 0, Size, Checksum)];
}
