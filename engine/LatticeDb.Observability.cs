using LatticeKV.Cache;
using LatticeKV.Events;
using LatticeKV.Metrics;

namespace LatticeKV;

// Where the observability parts meet (README "Operating LatticeKV"): the slow-operation log
// (engine/Metrics) raises events (engine/Events); alerts read latency quantiles from the metrics
// and the growth rate from the storage history (engine/Monitoring); the live statistics side
// channel carries latencies and active alerts; the meter reads alerts, events and the cache's
// anticipation counters. Each part stays ignorant of the others: only this file knows them all.
public sealed partial class LatticeDb
{
    private static readonly OperationKind[] TimedKinds = Enum.GetValues<OperationKind>();
    private static readonly string[] OriginNames = ["demand", "preload", "readahead", "prefetch"];

    /// <summary>Connects the parts once the database is open (both writable and read-only opens).</summary>
    private void WireObservability()
    {
        _metrics.SlowOperations.Observer = op =>
            RaiseEvent(() => new SlowOperationEvent(op.Kind, op.ColumnFamily ?? "", op.Duration, op.KeyPrefix ?? ""));
        AddLiveStatsContributor(LiveStatsExtras);
    }

    /// <summary>Gives alerts what only other parts measure: latency quantiles and the growth rate.</summary>
    private void PlugAlertSignals(DbAlertSignals signals, AlertOptions alerts)
    {
        if (alerts.Rules.Any(r => r.Condition == AlertCondition.LatencyP99)) _metrics.EnableLatencyWindow();
        signals.LatencyQuantile = (kind, q, window) =>
            _metrics.LatencyQuantile(kind, q, window) is { } seconds ? TimeSpan.FromSeconds(seconds) : null;
        signals.GrowthRate = GrowthRateProvider;
    }

    /// <summary>
    /// What <c>LIVE-STATS</c> adds to the counters: p50 and p99 latency per operation over the
    /// last minute in microseconds (when latencies are kept: a latency alert), and 1 per active
    /// alert. Numbers and names only.
    /// </summary>
    private Dictionary<string, double> LiveStatsExtras()
    {
        var extras = new Dictionary<string, double>(StringComparer.Ordinal);
        if (_closed) return extras;
        foreach (var kind in TimedKinds)
        {
            if (_metrics.LatencyQuantile(kind, 0.5, TimeSpan.FromMinutes(1)) is not { } p50) continue;
            string name = kind.ToString().ToLowerInvariant();
            extras[$"latency.{name}.p50"] = p50 * 1e6;
            extras[$"latency.{name}.p99"] = (_metrics.LatencyQuantile(kind, 0.99, TimeSpan.FromMinutes(1)) ?? p50) * 1e6;
        }
        if (_alerts is { } alerts)
            foreach (var alert in alerts.Active()) extras[$"alert.{alert.Name}"] = 1;
        return extras;
    }

    /// <summary>The meter's series of the parts wired here (<see cref="IMetricsSource.Observe"/> delegates them).</summary>
    private void ObserveWired(MetricSeries series, MeasurementSink sink)
    {
        switch (series)
        {
            case MetricSeries.AlertsFired:
                if (_alerts is { } fired) sink.Add(fired.Fired);
                break;
            case MetricSeries.AlertsActive:
                if (_alerts is { } active) sink.Add(active.ActiveCount);
                break;
            case MetricSeries.Events:
                sink.Add(_events.Raised, MetricTags.EventOutcome, "raised");
                sink.Add(_events.Dropped, MetricTags.EventOutcome, "dropped");
                sink.Add(_events.ListenerFailures, MetricTags.EventOutcome, "listener_failed");
                break;
            case MetricSeries.Corruptions: sink.Add(_stats.Corruptions); break;
            case MetricSeries.AnticipatedBlocks: ObserveAnticipation(sink, (c, o) => c.IssuedBlocks(o)); break;
            case MetricSeries.AnticipatedBlocksUsed: ObserveAnticipation(sink, (c, o) => c.Used(o)); break;
            case MetricSeries.AnticipatedBlocksWasted: ObserveAnticipation(sink, (c, o) => c.Wasted(o)); break;
        }
    }

    private void ObserveAnticipation(MeasurementSink sink, Func<AnticipationCounters, WarmOrigin, long> read)
    {
        var counters = _stats.Anticipation;
        foreach (var origin in (ReadOnlySpan<WarmOrigin>)[WarmOrigin.Preload, WarmOrigin.Readahead, WarmOrigin.Prefetch])
            sink.Add(read(counters, origin), MetricTags.CacheOrigin, OriginNames[(int)origin]);
    }
}
