using LatticeKV.Io;

namespace LatticeKV.Monitoring;

/// <summary>
/// The storage history and live statistics of one open (writable) database: samples its sizes at
/// open, at every <see cref="DbOptions.StorageSampleInterval"/> and at close, keeping the bounded
/// history in <c>STORAGE-HISTORY</c>; and publishes <c>LIVE-STATS</c> at every
/// <see cref="DbOptions.LiveStatsInterval"/>. Both are driven by timers of
/// <see cref="DbOptions.Clock"/>, so a test's fake clock drives them. Failures to write are
/// counted, never thrown: monitoring must not fail the database.
/// </summary>
internal sealed class StorageMonitor : IDisposable
{
    // Constant after construction.
    private readonly IFileSystem _fs;
    private readonly string _db;
    private readonly Func<StorageSample> _sample;
    private readonly Func<LiveStats>? _liveStats;
    private readonly bool _writable;

    // Guarded by _lock, which a timer callback holds while it works: once Stop has it, no callback runs.
    private readonly Lock _lock = new();
    private readonly List<StorageSample> _history;
    private ITimer? _sampleTimer;
    private ITimer? _liveTimer;
    private bool _stopped;
    private long _writeFailures;

    private StorageMonitor(IFileSystem fs, string db, Func<StorageSample> sample, Func<LiveStats>? liveStats, bool writable, List<StorageSample> history)
    {
        _fs = fs;
        _db = db;
        _sample = sample;
        _liveStats = liveStats;
        _writable = writable;
        _history = history;
    }

    /// <summary>
    /// Loads the history and, for a writable database, takes the sample at open and starts the
    /// timers. A damaged history is started afresh (the next write replaces it).
    /// </summary>
    public static StorageMonitor Start(IFileSystem fs, string db, TimeProvider clock, TimeSpan? sampleInterval, TimeSpan? liveInterval,
        Func<StorageSample> sample, Func<LiveStats>? liveStats, bool writable)
    {
        List<StorageSample> history;
        try { history = StorageHistoryFile.Read(fs, db); }
        catch (Exception ex) when (ex is CorruptionException or LatticeIOException) { history = []; }
        var monitor = new StorageMonitor(fs, db, sample, liveStats, writable, history);
        if (!writable) return monitor;
        if (sampleInterval is { } si && si > TimeSpan.Zero)
        {
            monitor.SampleNow();
            monitor._sampleTimer = clock.CreateTimer(static m => ((StorageMonitor)m!).SampleNow(), monitor, si, si);
        }
        if (liveStats is not null && liveInterval is { } li && li > TimeSpan.Zero)
        {
            monitor.PublishNow();
            monitor._liveTimer = clock.CreateTimer(static m => ((StorageMonitor)m!).PublishNow(), monitor, li, li);
        }
        return monitor;
    }

    /// <summary>The samples, oldest first.</summary>
    public IReadOnlyList<StorageSample> History
    {
        get { lock (_lock) return [.. _history]; }
    }

    /// <summary>Writes of the history or the live statistics that failed (a full disk, a fault).</summary>
    public long WriteFailures => Interlocked.Read(ref _writeFailures);

    /// <summary>Takes a sample, appends it and rewrites the history file.</summary>
    public void SampleNow()
    {
        lock (_lock)
        {
            if (_stopped || !_writable) return;
            Record();
        }
    }

    /// <summary>Rewrites <c>LIVE-STATS</c>.</summary>
    public void PublishNow()
    {
        lock (_lock)
        {
            if (_stopped || _liveStats is null) return;
            try { LiveStatsFile.Write(_fs, _db, _liveStats()); }
            catch (LatticeException) { Interlocked.Increment(ref _writeFailures); }
        }
    }

    /// <summary>Stops the timers, takes the sample at close when sampling is on, and removes <c>LIVE-STATS</c>. Idempotent.</summary>
    public void Stop()
    {
        _sampleTimer?.Dispose();
        _liveTimer?.Dispose();
        lock (_lock)
        {
            if (_stopped) return;
            if (_writable && _sampleTimer is not null) Record();
            if (_liveTimer is not null) LiveStatsFile.Delete(_fs, _db);
            _stopped = true;
        }
    }

    public void Dispose() => Stop();

    // Caller holds _lock.
    private void Record()
    {
        try
        {
            _history.Add(_sample());
            StorageHistoryFile.Thin(_history);
            StorageHistoryFile.Write(_fs, _db, _history);
        }
        catch (LatticeException)
        {
            Interlocked.Increment(ref _writeFailures);
        }
    }
}
