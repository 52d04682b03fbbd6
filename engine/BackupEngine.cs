using System.Runtime.CompilerServices;
using LatticeKV.Backup;

namespace LatticeKV;

/// <summary>
/// Backups of LatticeKV databases in a directory (or another <see cref="IBackupStorage"/>):
/// incremental (each table stored once and shared by every backup that holds it), verifiable,
/// restorable whole (<see cref="RestoreBackup"/>) or to any sequence number or moment covered by
/// the backups and archived logs (<see cref="RestoreToSequence"/>, <see cref="RestoreToPointInTime"/>).
/// The directory layout is FORMAT.md §13. Every operation takes the store's lock (shared to read,
/// exclusive to change), so several engines and processes may use one directory; a process killed
/// mid-operation leaves earlier backups intact and the interrupted one invisible (removed by
/// <see cref="GarbageCollect"/>, which every <see cref="CreateBackup(LatticeDb, string?)"/> runs first).
/// </summary>
/// <example>
/// <code>
/// using var backups = BackupEngine.Open("/backups/ledger");
/// var info = backups.CreateBackup(db, "before migration");
/// backups.VerifyBackup(info.Id);
/// backups.RestoreBackup(info.Id, "/data/ledger-restored");
/// </code>
/// </example>
public sealed class BackupEngine : IDisposable
{
    private readonly IBackupStorage _storage;
    private readonly BackupOptions _options;
    private bool _disposed;

    private BackupEngine(IBackupStorage storage, BackupOptions options)
    {
        _storage = storage;
        _options = options;
    }

    /// <summary>Opens (creating it when missing) the backup directory <paramref name="backupDirectory"/>.</summary>
    public static BackupEngine Open(string backupDirectory, BackupOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backupDirectory);
        return Open(new FileSystemBackupStorage(backupDirectory), options);
    }

    /// <summary>Opens backups kept in <paramref name="storage"/>.</summary>
    public static BackupEngine Open(IBackupStorage storage, BackupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return new BackupEngine(storage, (options ?? new BackupOptions()).Validated());
    }

    /// <summary>Where the backups are.</summary>
    public string Location => _storage.Location;

    /// <summary>
    /// Backs up <paramref name="db"/> as it is at this moment: every write acknowledged before the
    /// call, nothing after. Only tables the directory does not hold yet are copied, plus the
    /// MANIFEST, the live logs up to this moment and the small files. Writes go on meanwhile
    /// (they wait only while the set of files is taken). Applies <see cref="BackupOptions.Retention"/> after.
    /// </summary>
    public BackupInfo CreateBackup(LatticeDb db, string? metadata = null) => CreateBackup(db, metadata, CancellationToken.None);

    /// <inheritdoc cref="CreateBackup(LatticeDb, string?)"/>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public BackupInfo CreateBackup(LatticeDb db, string? metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: true, _options.LockTimeout);
        // The committed backups are read and parsed once, under the exclusive lock (no one else
        // commits or deletes one meanwhile), and the list kept current as this call changes them.
        var catalog = BackupCatalog.Load(_storage);
        BackupCollector.Collect(_storage, catalog);
        var descriptor = BackupCreator.Create(_storage, db, catalog, metadata, _options.BytesPerSecond, _options.Progress, cancellationToken);
        catalog.Add(descriptor);
        if (db.KeyRegistry is { } keys && db.Options.Encryption is { } encryption)
            ShredPropagation.Apply(_storage, catalog, keys, encryption.Source, descriptor.DatabaseId, descriptor.Id);
        if (_options.Retention is { } retention) ApplyRetentionLocked(retention, catalog);
        return descriptor.ToInfo();
    }

    /// <summary>Every backup in the directory, oldest first.</summary>
    public IReadOnlyList<BackupInfo> ListBackups()
    {
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        return BackupCatalog.Load(_storage).Select(b => b.ToInfo()).ToList();
    }

    /// <summary>
    /// Checks that every file of backup <paramref name="id"/> is present with its recorded size
    /// and, when <paramref name="checksums"/>, its recorded checksum (reads every byte). Throws
    /// <see cref="CorruptionException"/> naming the first damaged file and how many are damaged.
    /// </summary>
    public void VerifyBackup(int id, bool checksums = true)
    {
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        BackupVerifier.Verify(_storage, BackupCatalog.Read(_storage, id), checksums, _options.Progress, CancellationToken.None);
    }

    /// <summary>Deletes backup <paramref name="id"/> and every file no other backup needs.</summary>
    public void DeleteBackup(int id)
    {
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: true, _options.LockTimeout);
        BackupCatalog.Read(_storage, id);
        BackupCollector.Delete(_storage, id);
        BackupCollector.Collect(_storage);
    }

    /// <summary>Keeps the newest <paramref name="keep"/> backups of each database and deletes the others; returns the ids deleted.</summary>
    public IReadOnlyList<int> PurgeOldBackups(int keep)
    {
        if (keep < 1) throw new InvalidArgumentException("PurgeOldBackups keeps at least one backup.", nameof(keep));
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: true, _options.LockTimeout);
        return ApplyRetentionLocked(BackupRetention.Last(keep));
    }

    /// <summary>Applies <paramref name="retention"/> (default: <see cref="BackupOptions.Retention"/>); returns the ids deleted.</summary>
    public IReadOnlyList<int> ApplyRetention(BackupRetention? retention = null)
    {
        retention ??= _options.Retention ?? throw new InvalidArgumentException("No retention policy given and BackupOptions.Retention is not set.", nameof(retention));
        retention.Validate(nameof(retention));
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: true, _options.LockTimeout);
        return ApplyRetentionLocked(retention);
    }

    /// <summary>Applies <paramref name="retention"/> to <paramref name="all"/> (the store's committed backups; read when null).</summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    private List<int> ApplyRetentionLocked(BackupRetention retention, List<BackupDescriptor>? all = null)
    {
        all ??= BackupCatalog.Load(_storage);
        var keep = RetentionPlanner.Keep(all, retention);
        var doomed = all.Where(b => !keep.Contains(b.Id)).Select(b => b.Id).ToList();
        foreach (int id in doomed) BackupCollector.Delete(_storage, id);
        if (doomed.Count > 0) BackupCollector.Collect(_storage, all.Where(b => keep.Contains(b.Id)).ToList());
        return doomed;
    }

    /// <summary>Removes what interrupted runs left and files no backup needs; returns the number of files removed.</summary>
    public int GarbageCollect()
    {
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: true, _options.LockTimeout);
        return BackupCollector.Collect(_storage, archiveTemporaries: true);
    }

    /// <summary>
    /// Restores backup <paramref name="id"/> into <paramref name="databaseDirectory"/>, which must
    /// not exist or be empty. Every file is checked against its checksum; the database appears whole
    /// or not at all. The restored database is a new timeline of the original (an encrypted one
    /// opens with the original's master key).
    /// </summary>
    public BackupInfo RestoreBackup(int id, string databaseDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseDirectory);
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        var backup = BackupCatalog.Read(_storage, id);
        BackupRestorer.Restore(_storage, backup, databaseDirectory, _options.Progress, CancellationToken.None);
        return backup.ToInfo();
    }

    /// <summary>Restores the newest backup that verifies (checksums included), skipping damaged ones; returns it.</summary>
    public BackupInfo RestoreLatestBackup(string databaseDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseDirectory);
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        var damage = new List<string>();
        // The backup made last (ids rise with each backup), not the one with the latest timestamp: the clock may have been stepped back.
        foreach (var backup in BackupCatalog.Load(_storage).OrderByDescending(b => b.Id))
        {
            try
            {
                BackupVerifier.Verify(_storage, backup, checksums: true, null, CancellationToken.None);
            }
            catch (CorruptionException ex)
            {
                damage.Add($"backup {backup.Id}: {ex.Message}");
                continue;
            }
            BackupRestorer.Restore(_storage, backup, databaseDirectory, _options.Progress, CancellationToken.None);
            return backup.ToInfo();
        }
        throw damage.Count == 0
            ? new InvalidArgumentException($"There are no backups in '{_storage.Location}'.", nameof(databaseDirectory))
            : new CorruptionException("no backup verifies: " + string.Join("; ", damage), _storage.Location);
    }

    /// <summary>
    /// Restores the state just after the last write group committed at or before
    /// <paramref name="time"/> (the database's clock), from the newest backup at or before it and
    /// the logs archived since (<see cref="AutoBackupOptions.ArchiveLogs"/>). Returns the last
    /// sequence number restored. The state is the newest the backups and archived logs hold up to
    /// that moment: writes still only in the live database's current log are not in the archive yet.
    /// </summary>
    public ulong RestoreToPointInTime(string databaseDirectory, DateTimeOffset time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseDirectory);
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        return PointInTimeRestore.Restore(_storage, BackupCatalog.Load(_storage), new PointInTimeRestore.Target(null, time.ToUnixTimeMilliseconds()),
            databaseDirectory, _options.Encryption, _options.Progress, CancellationToken.None);
    }

    /// <summary>
    /// Restores the state after sequence number <paramref name="sequence"/> (rounded down to the
    /// end of the write group that holds it: a group is atomic) from the newest backup at or
    /// before it and the logs after it. Throws <see cref="InvalidArgumentException"/> when the
    /// backups and archived logs do not reach it (naming the newest sequence they do reach).
    /// </summary>
    public ulong RestoreToSequence(string databaseDirectory, ulong sequence)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databaseDirectory);
        ThrowIfDisposed();
        using var _ = _storage.Lock(exclusive: false, _options.LockTimeout);
        return PointInTimeRestore.Restore(_storage, BackupCatalog.Load(_storage), new PointInTimeRestore.Target(sequence, null),
            databaseDirectory, _options.Encryption, _options.Progress, CancellationToken.None);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Nothing is held between operations; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _disposed = true;
}
