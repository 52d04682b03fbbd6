using System.Diagnostics.Metrics;

namespace LatticeKV.Metrics;

/// <summary>
/// Where a source adds the values of one collection; every measurement is tagged with the
/// database's name. Allocates per measurement, which is fine: collections run at the
/// listener's interval, not per operation.
/// </summary>
internal sealed class MeasurementSink
{
    private readonly List<Measurement<long>> _longs = [];
    private readonly List<Measurement<double>> _doubles = [];
    private KeyValuePair<string, object?> _database;

    public IEnumerable<Measurement<long>> Longs => _longs;

    public IEnumerable<Measurement<double>> Doubles => _doubles;

    /// <summary>Tags what follows with <paramref name="database"/>.</summary>
    public void For(string database) => _database = new(MetricTags.Database, database);

    public void Add(long value) => _longs.Add(new Measurement<long>(value, _database));

    public void Add(long value, string key, object? tag) => _longs.Add(new Measurement<long>(value, _database, new(key, tag)));

    public void Add(long value, string key1, object? tag1, string key2, object? tag2)
        => _longs.Add(new Measurement<long>(value, _database, new(key1, tag1), new(key2, tag2)));

    public void Add(double value) => _doubles.Add(new Measurement<double>(value, _database));

    public void Add(double value, string key, object? tag) => _doubles.Add(new Measurement<double>(value, _database, new(key, tag)));
}
