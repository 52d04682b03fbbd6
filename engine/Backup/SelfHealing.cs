using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Backup;

/// <summary>
/// A database's self-healing (<see cref="DbOptions.RecoverFromBackup"/>): the
/// <see cref="ITableHealer"/> its table cache and readers call when a live table is damaged or
/// missing. One healing at a time; each is counted and kept in a short history. A table whose
/// healing failed is not tried again for a while, so reads of it fail fast meanwhile.
/// </summary>
internal sealed class SelfHealing : ITableHealer
{
    private const int HistoryCapacity = 256;
    private static readonly TimeSpan RetryAfter = TimeSpan.FromMinutes(1);

    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly TableHealer _healer;
    private readonly Func<long, FileMetaData?> _findLiveTable;
    private readonly TableCache _tables;
    private readonly DbStatistics _stats;
    private readonly TimeProvider _clock;

    private readonly Lock _lock = new();
    // Guarded by _lock.
    private readonly Queue<TableHealing> _history = new();
    private readonly HashSet<long> _healed = [];
    private readonly Dictionary<long, DateTimeOffset> _failedAt = [];

    public SelfHealing(IFileSystem fs, string db, string databaseIdHex, ITableCopySource source, TableReaderOptions verifyOptions,
        Func<long, FileMetaData?> findLiveTable, TableCache tables, DbStatistics stats, TimeProvider clock)
    {
        _fs = fs;
        _db = db;
        _healer = new TableHealer(fs, db, databaseIdHex, source, verifyOptions);
        _findLiveTable = findLiveTable;
        _tables = tables;
        _stats = stats;
        _clock = clock;
    }

    /// <summary>Every healing attempt still remembered, oldest first.</summary>
    public IReadOnlyList<TableHealing> History
    {
        get { lock (_lock) return [.. _history]; }
    }

    /// <summary>Where damage found and healings are reported (the database's events); set once at open.</summary>
    public Action<Func<LatticeEvent>>? RaiseEvent { get; init; }

    public IRandomAccessFile? TryHeal(long fileNumber, CorruptionException damage)
    {
        lock (_lock)
        {
            // A table no live version holds is on its way out: nothing reads it for long.
            if (_findLiveTable(fileNumber) is not { } table) return null;
            string path = FileNames.Table(_db, fileNumber);
            // Another reader of the same table met the same damage before the copy went in.
            if (_healed.Contains(fileNumber) && IsIntact(table, path)) return _fs.OpenRead(path);
            var now = _clock.GetUtcNow();
            if (_failedAt.TryGetValue(fileNumber, out var failed) && now - failed < RetryAfter) return null;
            _stats.RecordCorruption();
            RaiseEvent?.Invoke(() => new CorruptionDetectedEvent(damage.FilePath ?? path, damage.Offset, damage.Reason));
            var outcome = _healer.Heal(table);
            Remember(new TableHealing(_clock.GetUtcNow(), fileNumber, path, outcome.Healed, damage.Message, outcome.Detail));
            RaiseEvent?.Invoke(() => new RecoveryActionEvent(outcome.Healed ? RecoveryActionEvent.TableHealed : RecoveryActionEvent.TableHealFailed,
                path, 1, outcome.Detail));
            if (!outcome.Healed)
            {
                _failedAt[fileNumber] = now;
                _stats.RecordTableHealFailure();
                return null;
            }
            _failedAt.Remove(fileNumber);
            _healed.Add(fileNumber);
            _stats.RecordTableHealed();
            // Readers opened from now on read the copy; those open swap to it as they meet the damage.
            _tables.Evict(fileNumber);
            return _fs.OpenRead(path);
        }
    }

    private bool IsIntact(FileMetaData table, string path)
    {
        if (table.Checksum == 0) return false;
        try { return FileCopy.Checksum(_fs, path, table.FileSize) == table.Checksum; }
        catch (Exception ex) when (ex is LatticeIOException or FileNotFoundException) { return false; }
    }

    private void Remember(TableHealing healing)
    {
        // Kept on disk too, for lkv verify after the database closes; losing a record is no reason to fail the read.
        try { HealingJournal.Append(_fs, _db, healing); }
        catch (Exception ex) when (ex is LatticeIOException or IOException) { }
        if (_history.Count == HistoryCapacity) _history.Dequeue();
        _history.Enqueue(healing);
    }
}
