using System.Runtime.CompilerServices;
using LatticeKV.Io;
using LatticeKV.Wal;

namespace LatticeKV.Backup;

/// <summary>
/// A database's automatic backups (<see cref="DbOptions.AutoBackup"/>): a background thread that
/// takes a backup every interval when enough was written since the last one (never when nothing
/// was), then applies the retention policy; and the archiver every retired write-ahead log passes
/// through before it is deleted. A failure is recorded and retried at the next interval (a log
/// that could not be archived is kept, not deleted); it never stops the database.
/// </summary>
internal sealed class AutoBackupService : IDisposable
{
    private readonly LatticeDb _db;
    private readonly AutoBackupOptions _options;
    private readonly IBackupStorage _storage;
    private readonly Func<long> _bytesWritten;
    private readonly Func<ulong> _lastSequence;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _runLock = new();
    private Thread? _thread;

    // Guarded by _runLock.
    private ulong _lastBackupSequence;
    private long _bytesAtLastBackup;
    private bool _haveBackup;

    private long _backupsTaken, _backupsSkipped, _backupFailures, _logsArchived, _logsLinked, _logsPieced, _piecedArchiveFallbacks, _archiveFailures;
    private long _newTableBytes, _newLogBytes, _logBytesRecopied, _logPrefixBytesRead, _archivedBytes, _archivedPieceBytes;
    private volatile string? _lastError;
    private volatile BackupInfo? _lastBackup;

    public AutoBackupService(LatticeDb db, AutoBackupOptions options, Func<long> bytesWritten, Func<ulong> lastSequence)
    {
        _db = db;
        _options = options;
        _storage = options.OpenStorage();
        _bytesWritten = bytesWritten;
        _lastSequence = lastSequence;
        // Archives a killed run of this database left half written: no one else writes this timeline.
        try { LogArchive.RemoveTemporaries(_storage, db.Identity.TimelineHex); }
        catch (Exception ex) when (ex is LatticeException or IOException) { _lastError = ex.Message; }
    }

    public bool ArchiveLogs => _options.ArchiveLogs;

    public BackupInfo? LastBackup => _lastBackup;

    public string? LastError => _lastError;

    public IReadOnlyDictionary<string, long> Counters => new Dictionary<string, long>(StringComparer.Ordinal)
    {
        ["backups.taken"] = Interlocked.Read(ref _backupsTaken),
        ["backups.skipped-unchanged"] = Interlocked.Read(ref _backupsSkipped),
        ["backups.failed"] = Interlocked.Read(ref _backupFailures),
        ["logs.archived"] = Interlocked.Read(ref _logsArchived),
        ["logs.archived-linked"] = Interlocked.Read(ref _logsLinked),
        ["logs.archived-pieced"] = Interlocked.Read(ref _logsPieced),
        ["logs.archived-piece-bytes"] = Interlocked.Read(ref _archivedPieceBytes),
        ["logs.pieced-archive-fallbacks"] = Interlocked.Read(ref _piecedArchiveFallbacks),
        ["logs.archive-failed"] = Interlocked.Read(ref _archiveFailures),
        ["logs.archived-bytes"] = Interlocked.Read(ref _archivedBytes),
        ["backups.new-table-bytes"] = Interlocked.Read(ref _newTableBytes),
        ["backups.new-log-bytes"] = Interlocked.Read(ref _newLogBytes),
        ["backups.log-bytes-recopied"] = Interlocked.Read(ref _logBytesRecopied),
        ["backups.log-prefix-bytes-read"] = Interlocked.Read(ref _logPrefixBytesRead),
    };

    private void Count(BackupInfo info)
    {
        Interlocked.Increment(ref _backupsTaken);
        Interlocked.Add(ref _newTableBytes, info.NewTableBytes);
        Interlocked.Add(ref _newLogBytes, info.NewLogBytes);
        Interlocked.Add(ref _logBytesRecopied, info.LogBytesRecopied);
        Interlocked.Add(ref _logPrefixBytesRead, info.LogPrefixBytesRead);
    }

    /// <summary>
    /// Starts the background thread (after the database is open), at <see cref="AutoBackupOptions.ThreadNice"/>,
    /// else <paramref name="compactionNice"/>.
    /// </summary>
    public void Start(int compactionNice)
    {
        int nice = _options.ThreadNice ?? compactionNice;
        _thread = new Thread(() => Loop(nice)) { IsBackground = true, Name = "lattice-backup" };
        _thread.Start();
    }

    private void Loop(int nice)
    {
        NativeMethods.LowerCurrentThreadPriority(nice);
        _db.Options.TestHooks?.BackgroundThreadStarted?.Invoke(Thread.CurrentThread.Name ?? "");
        var token = _stop.Token;
        bool first = true;
        while (!token.IsCancellationRequested)
        {
            if (!first && token.WaitHandle.WaitOne(_options.Interval)) break;
            Tick(atOpen: first);
            first = false;
        }
    }

    /// <summary>
    /// One decision: back up now if enough changed since the last backup (or, at open, if this
    /// database has none in the directory). Returns the backup taken, or null.
    /// </summary>
    [MethodImpl(BackupCodegen.FewCallsPerBackup)]
    public BackupInfo? Tick(bool atOpen = false)
    {
        lock (_runLock)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            try
            {
                if (!_haveBackup) FindLastBackup();
                ulong sequence = _lastSequence();
                long written = _bytesWritten();
                // The first backup of a timeline is the base its archived logs replay onto: taken at open.
                bool due = _haveBackup
                    ? sequence != _lastBackupSequence && written - _bytesAtLastBackup >= _options.MinChangedBytes
                    : atOpen && _options.BackupAtOpen || written >= _options.MinChangedBytes;
                if (!due)
                {
                    Interlocked.Increment(ref _backupsSkipped);
                    return null;
                }
                started = System.Diagnostics.Stopwatch.GetTimestamp();
                using var engine = BackupEngine.Open(_storage, new BackupOptions { Retention = _options.Retention, BytesPerSecond = _options.BytesPerSecond });
                var info = engine.CreateBackup(_db, "auto", _stop.Token);
                _db.RaiseEvent(() => new BackupEvent(BackupEvent.Created, info.Id, info.NewBytes, System.Diagnostics.Stopwatch.GetElapsedTime(started), ""));
                _lastBackupSequence = info.Sequence;
                _bytesAtLastBackup = written;
                _haveBackup = true;
                _lastBackup = info;
                _lastError = null;
                Count(info);
                return info;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex) when (ex is LatticeException or IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _backupFailures);
                _lastError = ex.Message;
                _db.RaiseEvent(() => new BackupEvent(BackupEvent.Failed, 0, 0, System.Diagnostics.Stopwatch.GetElapsedTime(started), ex.Message));
                return null;
            }
        }
    }

    /// <summary>
    /// A backup taken now whatever the thresholds say (before a schema migration, so the state
    /// before it is kept beside the migration's own checkpoint); throws when it fails.
    /// </summary>
    public BackupInfo BackupNow(string label)
    {
        lock (_runLock)
        {
            using var engine = BackupEngine.Open(_storage, new BackupOptions { Retention = _options.Retention, BytesPerSecond = _options.BytesPerSecond });
            var info = engine.CreateBackup(_db, label, _stop.Token);
            _lastBackupSequence = info.Sequence;
            _bytesAtLastBackup = _bytesWritten();
            _haveBackup = true;
            _lastBackup = info;
            Count(info);
            return info;
        }
    }

    private void FindLastBackup()
    {
        using var engine = BackupEngine.Open(_storage);
        string id = _db.Identity.DatabaseIdHex, timeline = _db.Identity.TimelineHex;
        var mine = engine.ListBackups().Where(b => b.DatabaseId == id && b.Timeline == timeline).ToList();
        if (mine.Count == 0) return;
        _lastBackupSequence = mine.Max(b => b.Sequence);
        _bytesAtLastBackup = 0;
        _haveBackup = true;
    }

    /// <summary>
    /// Archives a retired log (as pieces a backup already stores plus what was appended since:
    /// <see cref="LogArchive.ArchiveAsPieces"/>; else a second name of its file, or a copy: <see cref="LogArchive.Archive"/>)
    /// before the database deletes it. False when that failed: the caller keeps the log for the
    /// next attempt.
    /// </summary>
    public bool Archive(IFileSystem fs, string path, long number, long? knownLength)
    {
        if (!_options.ArchiveLogs) return true;
        // Purges after a flush and after a compaction may both retire the same log: one archives it.
        lock (_archiveLock)
        {
            if (_archived.Contains(number)) return true;
            if (!ArchiveOnce(fs, path, number, knownLength)) return false;
            _archived.Add(number);
            return true;
        }
    }

    private readonly Lock _archiveLock = new();
    private readonly HashSet<long> _archived = []; // guarded by _archiveLock: logs archived (file numbers are never reused)

    private bool ArchiveOnce(IFileSystem fs, string path, long number, long? knownLength)
    {
        try
        {
            long length = knownLength ?? RecordedEnd(fs, path);
            // A log with no record (a run killed right after starting it left only its reserved
            // space) holds nothing to replay: an archive of it would be an empty file.
            if (length == 0) return true;
            string timeline = _db.Identity.TimelineHex;
            var hook = _db.Options.TestHooks?.LogArchiveWritten;
            // A backup already stores most of the log as pieces: listing them, with a piece of what
            // was appended since, keeps the retired log's bytes from reaching the disk a second time.
            if (ArchiveAsPieces(fs, path, number, length, timeline, hook) is { } stored)
            {
                Interlocked.Increment(ref _logsPieced);
                Interlocked.Add(ref _archivedPieceBytes, stored);
            }
            // Without waiting for the store's lock: a backup holding it waits for writes, writes may
            // wait for the flush that is archiving, so waiting here could stall all three. A
            // collection racing this archive spares its temporary file (ArchiveTemporaries).
            else if (LogArchive.Archive(_storage, timeline, fs, path, number, length, hook))
                Interlocked.Increment(ref _logsLinked);
            Interlocked.Increment(ref _logsArchived);
            Interlocked.Add(ref _archivedBytes, length);
            return true;
        }
        catch (Exception ex) when (ex is LatticeException or IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _archiveFailures);
            _lastError = $"archiving {Path.GetFileName(path)}: {ex.Message}";
            return false;
        }
    }

    /// <summary>
    /// The pieced archive, best effort: it reads the store's catalog, and a damaged descriptor or
    /// list there must not keep the log from its archive (a log that is never archived is never
    /// deleted, and the database would keep every log from then on): null, archive it whole.
    /// </summary>
    private long? ArchiveAsPieces(IFileSystem fs, string path, long number, long length, string timeline, Action<string>? hook)
    {
        try
        {
            return LogArchive.ArchiveAsPieces(_storage, timeline, _db.Identity.DatabaseIdHex, fs, path, number, length, _db.LogPrefixHashes, new BackupTally(), hook);
        }
        catch (CorruptionException ex)
        {
            Interlocked.Increment(ref _piecedArchiveFallbacks);
            _lastError = $"archiving {Path.GetFileName(path)} as pieces: {ex.Message}";
            return null;
        }
    }

    // A log left by an earlier run may be longer than its records (a reserved tail of zeros).
    private static long RecordedEnd(IFileSystem fs, string path)
    {
        using var file = fs.OpenRead(path);
        var reader = new LogReader(file);
        while (reader.ReadRecord(out _, out _)) { }
        return reader.LastRecordEnd;
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _thread?.Join();
        // A decision in progress on another thread (a test's) finishes before the token goes.
        lock (_runLock) _stop.Dispose();
    }
}
