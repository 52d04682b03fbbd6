using System.Diagnostics.Metrics;
using LatticeKV.Metrics;

namespace LatticeKV.Tests.Metrics;

/// <summary>
/// A MeterListener on the LatticeKV meter that keeps the measurements of one database (by its
/// <c>db.namespace</c> tag: tests run in parallel, each with a database of its own name).
/// </summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly string _database;
    private readonly Lock _lock = new();
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _seen = [];

    public MetricsCapture(string database)
    {
        _database = database;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LatticeMeter.Name) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments now.</summary>
    public void Collect() => _listener.RecordObservableInstruments();

    /// <summary>Forgets what was seen (before a step whose measurements a test counts).</summary>
    public void Clear()
    {
        lock (_lock) _seen.Clear();
    }

    /// <summary>The measurements of <paramref name="instrument"/> whose tags include every pair of <paramref name="tags"/>.</summary>
    public List<double> Values(string instrument, params (string Key, string Value)[] tags)
    {
        lock (_lock)
            return [.. _seen.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && Equals(v, t.Value))).Select(m => m.Value)];
    }

    /// <summary>The tag sets <paramref name="instrument"/> was seen with.</summary>
    public List<Dictionary<string, object?>> TagsOf(string instrument)
    {
        lock (_lock) return [.. _seen.Where(m => m.Instrument == instrument).Select(m => m.Tags)];
    }

    /// <summary>The newest collected value of an observable instrument with these tags (0 when none).</summary>
    public double Latest(string instrument, params (string Key, string Value)[] tags)
    {
        var values = Values(instrument, tags);
        return values.Count == 0 ? 0 : values[^1];
    }

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct, IConvertible
    {
        var map = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var t in tags) map[t.Key] = t.Value;
        if (!Equals(map.GetValueOrDefault(MetricTags.Database), _database)) return;
        lock (_lock) _seen.Add((instrument.Name, value.ToDouble(null), map));
    }

    public void Dispose() => _listener.Dispose();
}
