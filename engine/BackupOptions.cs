namespace LatticeKV;

/// <summary>Options of a <see cref="BackupEngine"/>.</summary>
public sealed class BackupOptions
{
    /// <summary>Applied after every <see cref="BackupEngine.CreateBackup(LatticeDb, string?)"/>; null keeps every backup.</summary>
    public BackupRetention? Retention { get; set; }

    /// <summary>
    /// The master key of the backed-up database, when it is encrypted: needed only to restore to a
    /// point in time or a sequence number (the logs are read to find where to stop). Backups are
    /// copied and restored whole without it; they stay encrypted throughout.
    /// </summary>
    public EncryptionOptions? Encryption { get; set; }

    /// <summary>Called as files are copied, verified or restored (from the calling thread).</summary>
    public Action<BackupProgress>? Progress { get; set; }

    /// <summary>
    /// The most bytes per second a backup reads and copies from the database (as RocksDB's
    /// <c>backup_rate_limit</c>): a backup taken while the application writes hard then leaves the
    /// disk and the cores to it and takes longer. Files the store holds already cost nothing. It holds
    /// the store's lock the longer, and while it does, logs the database retires are archived whole
    /// (<see cref="AutoBackupOptions.ArchiveLogs"/>). Default 0: no limit.
    /// </summary>
    public long BytesPerSecond { get; set; }

    /// <summary>How long an operation waits for another process's operation on the same directory. Default 1 minute.</summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Not read at present: a backup's timestamp comes from the backed-up database's clock
    /// (<see cref="DbOptions.Clock"/>), and retention counts the most recent periods that hold
    /// backups, by those timestamps, not periods measured back from now. Kept so that code setting
    /// it still compiles. Default: the system clock.
    /// </summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    internal BackupOptions Validated()
    {
        Retention?.Validate(nameof(Retention));
        if (LockTimeout < TimeSpan.Zero) throw new InvalidArgumentException("LockTimeout must not be negative.", nameof(LockTimeout));
        if (BytesPerSecond < 0) throw new InvalidArgumentException("BytesPerSecond must not be negative (0: no limit).", nameof(BytesPerSecond));
        if (Clock is null) throw new InvalidArgumentException("Clock must not be null.", nameof(Clock));
        return new BackupOptions { Retention = Retention, Encryption = Encryption, Progress = Progress, LockTimeout = LockTimeout, Clock = Clock, BytesPerSecond = BytesPerSecond };
    }
}
