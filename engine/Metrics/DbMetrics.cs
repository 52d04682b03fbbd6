using System.Diagnostics;

namespace LatticeKV.Metrics;

/// <summary>
/// One database's side of the meter: times its operations (<see cref="Start"/> and
/// <see cref="Stop"/>) into the <c>lattice.operation.duration</c> histogram, the slow-operation
/// log and, once <see cref="EnableLatencyWindow"/> is called, the latency window alerts read;
/// and lets the observable instruments read the database while it is registered.
/// </summary>
/// <remarks>
/// Nothing is timed unless a listener is attached, a slow-operation threshold is set or the
/// window is on: then <see cref="Start"/> returns 0 and <see cref="Stop"/> returns at once.
/// Neither allocates (the histogram takes its three tags as a stack-passed set), except when an
/// operation is slow.
/// </remarks>
internal sealed class DbMetrics
{
    // Constant after construction.
    private readonly string _name;
    private readonly KeyValuePair<string, object?> _databaseTag;
    private readonly TimeProvider _clock;
    private readonly bool _systemClock; // the clock's timestamps are Stopwatch's: read them without the virtual call
    private readonly double _secondsPerTick;
    private readonly long _slowTicks;   // long.MaxValue when the slow-operation log is off
    private readonly SlowOperationLog _slow = new();
    private readonly uint _sampleMask;  // the histogram takes 1 operation in (mask + 1)

    // Counts a thread's operations for sampling: no shared cache line is touched to decide.
    [ThreadStatic] private static uint t_operations;

    // Set once (EnableLatencyWindow); read without a lock.
    private LatencyWindow? _window;
    private volatile bool _alwaysTime;

    // Guarded by _sourceLock: the database the observable instruments read, until it unregisters.
    private readonly Lock _sourceLock = new();
    private WeakReference<IMetricsSource>? _source;

    private static readonly string[] OperationNames = Enum.GetValues<OperationKind>().Select(SnakeCase).ToArray();

    public DbMetrics(string name, TimeProvider clock, TimeSpan? slowOperationThreshold, int latencySampling = 1)
    {
        System.Diagnostics.Debug.Assert(System.Numerics.BitOperations.IsPow2(latencySampling), "DbOptions.Validate checks LatencySampling");
        _sampleMask = (uint)latencySampling - 1;
        _name = name;
        _databaseTag = new(MetricTags.Database, name);
        _clock = clock;
        _systemClock = ReferenceEquals(clock, TimeProvider.System);
        _secondsPerTick = 1.0 / clock.TimestampFrequency;
        _slowTicks = slowOperationThreshold is { } t ? (long)(t.TotalSeconds * clock.TimestampFrequency) : long.MaxValue;
        _alwaysTime = slowOperationThreshold is not null;
    }

    /// <summary>The database's name, the <c>db.namespace</c> tag of its measurements.</summary>
    public string Name => _name;

    /// <summary>The slow-operation log (its <see cref="SlowOperationLog.Observer"/> is the event system's seam).</summary>
    public SlowOperationLog SlowOperations => _slow;

    /// <summary>
    /// A timestamp to pass to <see cref="Stop"/>, or 0 when nothing would use the timing: with only
    /// the histogram listening, one operation in the sampling interval (per thread) is timed.
    /// </summary>
    public long Start()
    {
        if (_alwaysTime) return Now();
        if (!LatticeMeter.OperationDuration.Enabled) return 0;
        return (++t_operations & _sampleMask) == 0 ? Now() : 0;
    }

    /// <summary>
    /// Iterator moves are sampled per iterator, before <see cref="StartStep"/>: one in this mask + 1.
    /// A move costs a fraction of a point read, so the per-thread sampling of the other operations
    /// would still cost it a large share; moves are sampled 16 times more sparsely (every move when
    /// <see cref="DbOptions.LatencySampling"/> is 1).
    /// </summary>
    public uint StepSampleMask => _sampleMask == 0 ? 0 : ((_sampleMask + 1) << 4) - 1;

    /// <summary>Whether every operation is timed (the slow-operation log or the latency window is on): iterator moves then take <see cref="Start"/>.</summary>
    public bool TimesEveryOperation => _alwaysTime;

    /// <summary>A timestamp for an iterator move the iterator has already sampled (<see cref="StepSampleMask"/>), or 0 when no listener would use it.</summary>
    public long StartStep() => LatticeMeter.OperationDuration.Enabled ? Now() : 0;

    /// <summary>Whether a timing taken for the slow log or the latency window also goes to the histogram (the same sampling).</summary>
    private bool SampledForHistogram() => !_alwaysTime || (++t_operations & _sampleMask) == 0;

    /// <summary>
    /// Ends the timing begun at <paramref name="started"/>. <paramref name="family"/> is null for
    /// operations over several families; <paramref name="hideKey"/> keeps the key out of the
    /// slow-operation log (an encrypted family's).
    /// </summary>
    public void Stop(long started, OperationKind kind, string? family, bool hideKey, ReadOnlySpan<byte> key)
    {
        if (started == 0) return;
        long now = Now();
        long elapsed = now - started;
        var histogram = LatticeMeter.OperationDuration;
        if (histogram.Enabled && SampledForHistogram())
        {
            double seconds = elapsed * _secondsPerTick;
            var operation = new KeyValuePair<string, object?>(MetricTags.Operation, OperationNames[(int)kind]);
            if (family is null) histogram.Record(seconds, _databaseTag, operation);
            else histogram.Record(seconds, _databaseTag, new KeyValuePair<string, object?>(MetricTags.ColumnFamily, family), operation);
        }
        _window?.Record(kind, elapsed, now);
        if (elapsed > _slowTicks) RecordSlow(kind, family, elapsed, hideKey, key);
    }

    /// <summary>Records one fsync of the write-ahead log that made <paramref name="writers"/> writers durable.</summary>
    public void RecordWritersPerSync(int writers)
    {
        var histogram = LatticeMeter.WritersPerSync;
        if (histogram.Enabled) histogram.Record(writers, _databaseTag);
    }

    /// <summary>
    /// Starts keeping latencies for <see cref="LatencyQuantile"/> (alerts call it when a rule
    /// needs it; from then on every operation is timed, listener or not).
    /// </summary>
    public void EnableLatencyWindow()
    {
        Interlocked.CompareExchange(ref _window, new LatencyWindow(_clock.TimestampFrequency), null);
        _alwaysTime = true;
    }

    /// <summary>
    /// The <paramref name="q"/> quantile in seconds of <paramref name="kind"/>'s latency over the
    /// last <paramref name="window"/> (at most <see cref="LatencyWindow.MaxWindow"/>), or null
    /// when there were none or the window is not on (<see cref="EnableLatencyWindow"/>).
    /// </summary>
    public double? LatencyQuantile(OperationKind kind, double q, TimeSpan window) => _window?.Quantile(kind, q, window, Now());

    /// <summary>Lets the observable instruments read <paramref name="source"/> (weakly: an undisposed database is not kept alive).</summary>
    public void Register(IMetricsSource source)
    {
        lock (_sourceLock) _source = new WeakReference<IMetricsSource>(source);
        LatticeMeter.Register(this);
    }

    /// <summary>Stops the instruments reading the database; once it returns, no collection is reading it.</summary>
    public void Unregister()
    {
        LatticeMeter.Unregister(this);
        lock (_sourceLock) _source = null;
    }

    internal void Observe(MetricSeries series, MeasurementSink sink)
    {
        lock (_sourceLock)
        {
            if (_source is null || !_source.TryGetTarget(out var source)) return;
            sink.For(_name);
            source.Observe(series, sink);
        }
    }

    private long Now() => _systemClock ? Stopwatch.GetTimestamp() : _clock.GetTimestamp();

    private void RecordSlow(OperationKind kind, string? family, long elapsed, bool hideKey, ReadOnlySpan<byte> key)
    {
        string? prefix = hideKey || key.IsEmpty ? null : Convert.ToHexStringLower(key[..Math.Min(key.Length, SlowOperation.MaxKeyPrefixBytes)]);
        var duration = TimeSpan.FromSeconds(elapsed * _secondsPerTick);
        _slow.Add(new SlowOperation(kind, family, duration, _clock.GetUtcNow(), prefix));
    }

    private static string SnakeCase(OperationKind kind)
    {
        var name = kind.ToString();
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0) sb.Append('_');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
