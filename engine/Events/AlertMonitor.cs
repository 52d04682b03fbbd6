namespace LatticeKV.Events;

/// <summary>
/// Evaluates <see cref="AlertOptions.Rules"/> on a timer of the database's clock (so a fake
/// clock drives it in tests), keeping each rule's episode: an alert fires once when its condition
/// has held for <see cref="AlertRule.For"/>, stays active, and clears once the value is back past
/// its clear threshold. Fired and cleared alerts are raised as events (which the dispatcher also
/// logs, as warnings for fired ones). Windowed values (stall fraction, hit ratio, corruptions)
/// are differences of cumulative counters between now and a sample a window ago (or the oldest
/// sample, early on).
/// </summary>
internal sealed class AlertMonitor : IDisposable
{
    // Constant after construction.
    private readonly AlertRule[] _rules;
    private readonly IAlertSignals _signals;
    private readonly EventDispatcher _events;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _keep;

    private readonly Lock _lock = new();
    // Guarded by _lock.
    private readonly List<Sample> _samples = [];
    private readonly RuleState[] _states;
    private ITimer? _timer;
    private bool _disposed;

    private long _fired;
    private long _cleared;
    private long _evaluations;
    private long _failures;

    public AlertMonitor(AlertOptions options, IAlertSignals signals, EventDispatcher events, TimeProvider clock)
    {
        _rules = [.. options.Rules];
        _signals = signals;
        _events = events;
        _clock = clock;
        _interval = options.EvaluationInterval;
        _keep = _rules.Select(r => r.Window).DefaultIfEmpty(TimeSpan.Zero).Max() + _interval;
        _states = [.. _rules.Select(_ => new RuleState())];
    }

    /// <summary>Alerts fired since open (a metric).</summary>
    public long Fired => Interlocked.Read(ref _fired);

    /// <summary>Alerts cleared since open (a metric).</summary>
    public long Cleared => Interlocked.Read(ref _cleared);

    /// <summary>Evaluations run since open.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>Evaluations of a rule whose signal threw (the rule is skipped that round).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Alerts active now (a metric).</summary>
    public int ActiveCount
    {
        get { lock (_lock) return _states.Count(s => s.ActiveSince is not null); }
    }

    /// <summary>Takes the first sample (the baseline of the first windows) and starts the timer.</summary>
    public void Start()
    {
        lock (_lock)
        {
            _samples.Add(TakeSample());
            _timer = _clock.CreateTimer(static m => ((AlertMonitor)m!).Evaluate(), this, _interval, _interval);
        }
    }

    public IReadOnlyList<ActiveAlert> Active()
    {
        lock (_lock)
        {
            var list = new List<ActiveAlert>();
            for (int i = 0; i < _rules.Length; i++)
                if (_states[i].ActiveSince is { } since) list.Add(new ActiveAlert(_rules[i].Name, _rules[i].Condition, _states[i].Value, _rules[i].Threshold, since));
            return list;
        }
    }

    /// <summary>One round: a sample, then each rule's value and episode. Called by the timer (tests may call it).</summary>
    public void Evaluate()
    {
        lock (_lock)
        {
            if (_disposed) return;
            Interlocked.Increment(ref _evaluations);
            var now = TakeSample();
            _samples.Add(now);
            while (_samples.Count > 2 && now.Time - _samples[1].Time >= _keep) _samples.RemoveAt(0);
            for (int i = 0; i < _rules.Length; i++)
            {
                double? value;
                try { value = Measure(_rules[i], now); }
                catch (Exception)
                {
                    // A signal that fails (a plugged-in provider, the disk query) skips this rule this round.
                    Interlocked.Increment(ref _failures);
                    continue;
                }
                if (value is { } v) Step(_rules[i], _states[i], v, now.Time);
            }
        }
    }

    private void Step(AlertRule rule, RuleState state, double value, DateTimeOffset now)
    {
        state.Value = value;
        if (state.ActiveSince is { } since)
        {
            if (!rule.IsClear(value)) return;
            state.ActiveSince = null;
            state.PendingSince = null;
            Interlocked.Increment(ref _cleared);
            _events.Raise(new AlertClearedEvent(rule.Name, rule.Condition, value, now - since) { Time = now });
            return;
        }
        if (!rule.IsFiring(value))
        {
            state.PendingSince = null;
            return;
        }
        state.PendingSince ??= now;
        if (now - state.PendingSince.Value < rule.For) return;
        state.ActiveSince = now;
        Interlocked.Increment(ref _fired);
        _events.Raise(new AlertFiredEvent(rule.Name, rule.Condition, value, rule.Threshold) { Time = now });
    }

    private double? Measure(AlertRule rule, Sample now)
    {
        switch (rule.Condition)
        {
            case AlertCondition.LatencyP99:
                return _signals.Latency(rule.Operation!.Value, 0.99, rule.Window)?.TotalSeconds;
            case AlertCondition.GrowthRate:
                return _signals.GrowthBytesPerDay();
            case AlertCondition.BackgroundError:
                return _signals.BackgroundErrorActive ? 1 : 0;
            case AlertCondition.SyncLag:
                return _signals.SyncLag()?.TotalSeconds;
            case AlertCondition.FreeDiskBytes:
                return _signals.Disk()?.Free;
            case AlertCondition.FreeDiskFraction:
                return _signals.Disk() is { } disk ? (double)disk.Free / disk.Total : null;
        }
        var from = Baseline(now.Time - rule.Window);
        if (from is null) return null;
        double seconds = (now.Time - from.Time).TotalSeconds;
        return rule.Condition switch
        {
            AlertCondition.StallFraction => seconds > 0 ? Math.Clamp((now.Stall - from.Stall).TotalSeconds / seconds, 0, 1) : null,
            AlertCondition.CacheHitRatio => (now.Hits - from.Hits) + (now.Misses - from.Misses) is > 0 and var lookups ? (double)(now.Hits - from.Hits) / lookups : null,
            AlertCondition.Corruption => now.Corruptions - from.Corruptions,
            _ => null,
        };
    }

    /// <summary>The newest sample at or before <paramref name="start"/>, else the oldest; null when only the current one exists.</summary>
    private Sample? Baseline(DateTimeOffset start)
    {
        if (_samples.Count < 2) return null;
        Sample chosen = _samples[0];
        for (int i = 1; i < _samples.Count - 1; i++)
            if (_samples[i].Time <= start) chosen = _samples[i];
        return chosen;
    }

    private Sample TakeSample() => new(_clock.GetUtcNow(), _signals.StallTime, _signals.CacheHits, _signals.CacheMisses, _signals.Corruptions);

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _timer?.Dispose();
        }
    }

    private sealed record Sample(DateTimeOffset Time, TimeSpan Stall, long Hits, long Misses, long Corruptions);

    private sealed class RuleState
    {
        public DateTimeOffset? ActiveSince;
        public DateTimeOffset? PendingSince;
        public double Value;
    }
}
