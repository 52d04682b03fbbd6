using System.Diagnostics.Metrics;

namespace LatticeKV.Bench.Observability;

/// <summary>
/// A MeterListener on the LatticeKV meter that does per measurement what OpenTelemetry's SDK
/// does: finds the time series of the measurement's tag set and adds the value to its
/// explicit-bucket histogram (count, sum, bucket), under a lock per instrument. Observable
/// instruments are collected once a second, as an exporter's reader would.
/// </summary>
internal sealed class AggregatingListener : IDisposable
{
    private static readonly double[] Boundaries =
        [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Timer _collector;

    public AggregatingListener()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "LatticeKV") l.EnableMeasurementEvents(instrument, new Series());
        };
        _listener.SetMeasurementEventCallback<double>(static (_, v, tags, state) => ((Series)state!).Add(v, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, v, tags, state) => ((Series)state!).Add(v, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, v, tags, state) => ((Series)state!).Add(v, tags));
        _listener.Start();
        _collector = new Timer(_ => _listener.RecordObservableInstruments(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    public void Dispose()
    {
        _collector.Dispose();
        _listener.Dispose();
    }

    /// <summary>One instrument's time series, keyed by their tag values (at most three tags).</summary>
    private sealed class Series
    {
        private readonly Dictionary<(object?, object?, object?), Point> _points = [];

        public void Add(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = (tags.Length > 0 ? tags[0].Value : null, tags.Length > 1 ? tags[1].Value : null, tags.Length > 2 ? tags[2].Value : null);
            lock (_points)
            {
                if (!_points.TryGetValue(key, out var point)) _points[key] = point = new Point();
                point.Count++;
                point.Sum += value;
                int bucket = Array.BinarySearch(Boundaries, value);
                point.Buckets[bucket < 0 ? ~bucket : bucket]++;
            }
        }
    }

    private sealed class Point
    {
        public long Count;
        public double Sum;
        public readonly long[] Buckets = new long[Boundaries.Length + 1];
    }
}
