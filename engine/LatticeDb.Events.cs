using System.Diagnostics;
using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Events;
using LatticeKV.Io;
using LatticeKV.Manifest;

namespace LatticeKV;

// Events (IEventListener, ILogger, the EVENTS file) and alerts: where the engine raises them.
public sealed partial class LatticeDb
{
    /// <summary>The event dispatcher (tests wait on it; the lead's metrics read its counters).</summary>
    internal EventDispatcher Events => _events;

    /// <summary>The alert monitor, or null without <see cref="DbOptions.Alerts"/> (counters for metrics; tests).</summary>
    internal AlertMonitor? Alerts => _alerts;

    /// <summary>
    /// The signals alerts read. Its <see cref="DbAlertSignals.LatencyQuantile"/> and
    /// <see cref="DbAlertSignals.GrowthBytesPerDay"/> are empty until another part plugs them in.
    /// </summary>
    internal DbAlertSignals? AlertSignals { get; private set; }

    /// <summary>
    /// The alerts that have fired and not cleared, by rule name. Empty without <see cref="DbOptions.Alerts"/>.
    /// </summary>
    public IReadOnlyList<ActiveAlert> GetActiveAlerts()
    {
        ThrowIfClosed();
        return _alerts?.Active() ?? [];
    }

    private static EventDispatcher CreateEventDispatcher(DbOptions options, IFileSystem fs, string path, bool readOnly)
    {
        var file = readOnly || options.EventLogMaxBytes == 0 ? null : new EventFile(fs, path, options.EventLogMaxBytes);
        return new EventDispatcher(options.EventListeners, options.Logger, file, options.Clock);
    }

    /// <summary>Raises the event <paramref name="make"/> builds, building it only when someone listens.</summary>
    internal void RaiseEvent(Func<LatticeEvent> make)
    {
        if (_events.Enabled) _events.Raise(make());
    }

    private void StartAlerts()
    {
        if (_options.Alerts is not { Rules.Count: > 0 } alerts) return;
        AlertSignals = new DbAlertSignals(_stats, _blockCache, () => Volatile.Read(ref _backgroundError) is not null, _path, _fs is RealFileSystem, SyncLag);
        PlugAlertSignals(AlertSignals, alerts);
        _alerts = new AlertMonitor(alerts, AlertSignals, _events, _options.Clock);
        _alerts.Start();
    }

    /// <summary>The largest lag of any sync peer, or null when this database has none.</summary>
    private TimeSpan? SyncLag()
    {
        if (SyncEntry.Status is null || _closed) return null;
        var peers = GetSyncStatus();
        return peers.Count == 0 ? null : peers.Max(p => p.Lag);
    }

    private void RaiseBackgroundError(Exception ex, bool soft)
    {
        if (FindCorruption(ex) is { } corruption) NoteCorruption(corruption);
        RaiseEvent(() => new BackgroundErrorEvent(ex.GetType().Name, ex.Message, soft));
    }

    private static CorruptionException? FindCorruption(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
            if (ex is CorruptionException c) return c;
        return null;
    }

    /// <summary>Counts and reports damage found in stored data. Returns false, for use as an exception filter.</summary>
    internal bool NoteCorruption(CorruptionException ex)
    {
        _stats.RecordCorruption();
        RaiseEvent(() => new CorruptionDetectedEvent(ex.FilePath ?? "", ex.Offset, ex.Reason));
        return false;
    }

    private void RecordWalRecordsDropped(int count, string path, long offset, string reason)
    {
        _stats.RecordWalRecordsDropped(count);
        RaiseEvent(() => new RecoveryActionEvent(RecoveryActionEvent.WalRecordsDropped, path, count, $"at offset {offset}: {reason}"));
    }

    /// <summary>Raises <see cref="RepairEvent"/> to the listeners, logger and event file of the options given to Repair.</summary>
    private static void RaiseRepairEvent(string path, DbOptions options, RepairReport report)
    {
        using var events = CreateEventDispatcher(options, options.FileSystem, path, readOnly: false);
        events.Raise(new RepairEvent(report.TablesRead, report.TablesPartlyRead + report.TablesUnreadable + report.TablesMissing,
            report.LogsReplayed, report.EntriesSalvaged, report.Complete, report.LostDirectory));
    }

    private (long Id, long Started) BeginFlushEvent(ColumnFamilyData cfd, int memtables)
    {
        if (!_events.Enabled) return default;
        long id = _events.NextJobId();
        _events.Raise(new FlushBegunEvent(cfd.Name, id, memtables));
        return (id, Stopwatch.GetTimestamp());
    }

    private void EndFlushEvent(ColumnFamilyData cfd, (long Id, long Started) job, FileMetaData? output, long bytes, bool succeeded)
    {
        if (!_events.Enabled || job.Id == 0) return;
        _events.Raise(new FlushCompletedEvent(cfd.Name, job.Id, succeeded ? output?.Number ?? 0 : 0, bytes, Stopwatch.GetElapsedTime(job.Started), succeeded));
    }

    private (long Id, long Started) BeginCompactionEvent(ColumnFamilyData cfd, CompactionPlan c)
    {
        if (!_events.Enabled) return default;
        long id = _events.NextJobId();
        var inputs = c.AllInputs.ToList();
        _events.Raise(new CompactionBegunEvent(cfd.Name, id, c.Level, c.OutputLevel, [.. inputs.Select(f => f.Number)], inputs.Sum(f => f.FileSize), c.IsTrivialMove));
        return (id, Stopwatch.GetTimestamp());
    }

    private void EndCompactionEvent(ColumnFamilyData cfd, CompactionPlan c, (long Id, long Started) job, VersionEdit? edit, CompactionStats? stats, bool succeeded)
    {
        if (!_events.Enabled || job.Id == 0) return;
        long[] inputs = [.. c.AllInputs.Select(f => f.Number)];
        long[] outputs = succeeded && edit is not null ? [.. edit.NewFiles.Select(f => f.File.Number)] : [];
        _events.Raise(new CompactionCompletedEvent(cfd.Name, job.Id, c.Level, c.OutputLevel, inputs, outputs,
            stats?.BytesRead ?? 0, stats?.BytesWritten ?? 0, Stopwatch.GetElapsedTime(job.Started), succeeded));
    }

    /// <summary>Stops the alert timer, then delivers the events still queued and closes the event file.</summary>
    private void CloseEvents()
    {
        _alerts?.Dispose();
        _events.Dispose();
    }
}
