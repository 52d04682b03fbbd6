namespace LatticeKV.Backup;

/// <summary>One file a backup restores: its name in the database directory, where the backup keeps it, its size and XXH3-64.</summary>
internal sealed record BackupFileEntry(string Name, string StoredPath, string Kind, long Size, ulong Checksum);
