namespace LatticeKV;

/// <summary>One backup in a backup directory (<see cref="BackupEngine.ListBackups"/>).</summary>
public sealed record BackupInfo
{
    /// <summary>The backup's number in its directory: increasing, never reused.</summary>
    public required int Id { get; init; }

    /// <summary>When the backup was taken (the database's clock at the moment of the copy).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The last sequence number the backup holds: every write acknowledged before it began, nothing later.</summary>
    public required ulong Sequence { get; init; }

    /// <summary>Bytes of the database the backup restores (every file it lists).</summary>
    public required long Size { get; init; }

    /// <summary>Bytes this backup added to the directory (files no earlier backup already stored).</summary>
    public required long NewBytes { get; init; }

    // How NewBytes splits, for the automatic backups' counters; not stored in the descriptor.
    internal long NewTableBytes { get; init; }

    internal long NewLogBytes { get; init; }

    // Bytes of the logs' prefixes that an earlier backup already stored and this one copied again.
    internal long LogBytesRecopied { get; init; }

    // Bytes of live logs read to check that an earlier backup's copy is still their prefix.
    internal long LogPrefixBytesRead { get; init; }

    /// <summary>Files the backup lists.</summary>
    public required int FileCount { get; init; }

    /// <summary>What the caller attached to <see cref="BackupEngine.CreateBackup(LatticeDb, string?)"/>.</summary>
    public string? Metadata { get; init; }

    /// <summary>The database's id (its IDENTITY), in hex.</summary>
    public required string DatabaseId { get; init; }

    /// <summary>The database's timeline when backed up (a restored copy starts a new one), in hex.</summary>
    public required string Timeline { get; init; }

    /// <summary>The database is encrypted: restoring it needs its master key to open it.</summary>
    public bool Encrypted { get; init; }
}
