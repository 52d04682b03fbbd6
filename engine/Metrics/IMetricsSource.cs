namespace LatticeKV.Metrics;

/// <summary>
/// An open database as the meter's observable instruments see it: when a listener collects,
/// each registered source adds its current values of one series. Called with the source's
/// <see cref="DbMetrics"/> registration lock held, so a source that unregisters before it
/// closes is never read while or after it closes.
/// </summary>
internal interface IMetricsSource
{
    /// <summary>Adds this database's current values of <paramref name="series"/> to <paramref name="sink"/>.</summary>
    void Observe(MetricSeries series, MeasurementSink sink);
}
