namespace LatticeKV;

/// <summary>
/// Automatic backups (<see cref="DbOptions.AutoBackup"/>): the database backs itself up to
/// <see cref="Directory"/> in the background every <see cref="Interval"/> when at least
/// <see cref="MinChangedBytes"/> were written since the last backup (never when nothing was),
/// and archives every write-ahead log it retires (<see cref="ArchiveLogs"/>), so any moment
/// since the oldest backup can be restored (<see cref="BackupEngine.RestoreToPointInTime"/>).
/// </summary>
public sealed class AutoBackupOptions
{
    /// <summary>The backup directory (a <see cref="FileSystemBackupStorage"/>) unless <see cref="Storage"/> is set.</summary>
    public string? Directory { get; set; }

    /// <summary>Another store for the backups; overrides <see cref="Directory"/>.</summary>
    public IBackupStorage? Storage { get; set; }

    /// <summary>Time between backups. Default 1 hour.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Bytes of writes since the last backup below which none is taken. Default 1 (any change).</summary>
    public long MinChangedBytes { get; set; } = 1;

    /// <summary>Which backups to keep. Default <see cref="BackupRetention.Default"/>.</summary>
    public BackupRetention Retention { get; set; } = BackupRetention.Default;

    /// <summary>
    /// Copy each write-ahead log to the backup directory before it is deleted, and stamp every
    /// write with its commit time, for point-in-time restore. Default true.
    /// </summary>
    public bool ArchiveLogs { get; set; } = true;

    /// <summary>Take a backup at open when the directory has none yet. Default true.</summary>
    public bool BackupAtOpen { get; set; } = true;

    /// <summary>
    /// Nice value (0–19) of the backup thread on Linux, so that when the CPU is busy a backup
    /// yields to the application's reads and writes and to flushes: backups are not latency
    /// critical, and one that takes longer only delays the next. The moments a backup holds
    /// writers back (taking the set of files, releasing it) run at normal priority whatever this
    /// says. Null (the default) takes <see cref="DbOptions.CompactionThreadNice"/>; 0 leaves the
    /// priority alone; ignored on other systems.
    /// </summary>
    public int? ThreadNice { get; set; }

    /// <summary>
    /// The most bytes per second a backup reads and copies (<see cref="BackupOptions.BytesPerSecond"/>),
    /// so a backup that falls in a burst of writes takes longer rather than competing with it for
    /// the disk and the cores. Default 0: no limit.
    /// </summary>
    public long BytesPerSecond { get; set; }

    internal IBackupStorage OpenStorage() => Storage ?? new FileSystemBackupStorage(Directory!);

    internal AutoBackupOptions Validated()
    {
        if (Storage is null && string.IsNullOrWhiteSpace(Directory)) throw new InvalidArgumentException("AutoBackup needs a Directory or a Storage.", nameof(Directory));
        if (Interval <= TimeSpan.Zero) throw new InvalidArgumentException("AutoBackup.Interval must be positive.", nameof(Interval));
        if (MinChangedBytes < 1) throw new InvalidArgumentException("AutoBackup.MinChangedBytes must be at least 1 (a backup is never taken when nothing changed).", nameof(MinChangedBytes));
        if (Retention is null) throw new InvalidArgumentException("AutoBackup.Retention must not be null.", nameof(Retention));
        Retention.Validate("AutoBackup.Retention");
        if (ThreadNice is < 0 or > 19) throw new InvalidArgumentException("AutoBackup.ThreadNice must be between 0 and 19.", nameof(ThreadNice));
        if (BytesPerSecond < 0) throw new InvalidArgumentException("AutoBackup.BytesPerSecond must not be negative (0: no limit).", nameof(BytesPerSecond));
        return new AutoBackupOptions
        {
            Directory = Directory, Storage = Storage, Interval = Interval, MinChangedBytes = MinChangedBytes, Retention = Retention, ArchiveLogs = ArchiveLogs,
            BackupAtOpen = BackupAtOpen, ThreadNice = ThreadNice, BytesPerSecond = BytesPerSecond,
        };
    }
}
