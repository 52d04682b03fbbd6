using LatticeKV.Tests.Support;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace LatticeKV.Tests.Metrics;

/// <summary>The README's OpenTelemetry setup exports the meter.</summary>
[Collection(MeterListenerCollection.Name)]
public sealed class OpenTelemetryExportTests
{
    [Fact]
    public void ReadmeSetup_ExportsOperationDurationsAndSizes()
    {
        using var dir = new TempDir("otel");
        string name = "otel-" + Guid.NewGuid().ToString("N")[..12];
        var exported = new List<Metric>();
        // As in README "Metrics", with the in-memory exporter in place of OTLP.
        using var meterProvider = Sdk.CreateMeterProviderBuilder()
            .AddMeter("LatticeKV")
            .AddInMemoryExporter(exported)
            .Build();
        using (var db = LatticeDb.Open(dir.Path, new DbOptions { Name = name, LatencySampling = 1 }))
        {
            db.Put("k"u8, "v"u8);
            db.Get("k"u8);
            meterProvider.ForceFlush();
        }

        var duration = exported.Last(m => m.Name == "lattice.operation.duration");
        Assert.Equal("s", duration.Unit);
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in duration.GetMetricPoints()) points.Add(point);
        Assert.Contains(points, p => Tag(p, "db.namespace") == name && Tag(p, "db.operation.name") == "get" && p.GetHistogramCount() == 1);
        Assert.Contains(exported, m => m.Name == "lattice.memtable.size");
    }

    private static string? Tag(MetricPoint point, string key)
    {
        foreach (var tag in point.Tags)
            if (tag.Key == key) return tag.Value as string;
        return null;
    }
}
