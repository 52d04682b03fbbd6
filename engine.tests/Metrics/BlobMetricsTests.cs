using LatticeKV.Metrics;
using LatticeKV.Tests.Db;
using LatticeKV.Tests.Support;
using static LatticeKV.Tests.Support.TestDb;

namespace LatticeKV.Tests.Metrics;

/// <summary>The blob instruments of the <c>LatticeKV</c> meter, read through a <see cref="System.Diagnostics.Metrics.MeterListener"/>.</summary>
[Collection(MeterListenerCollection.Name)]
public sealed class BlobMetricsTests
{
    private static (string Key, string Value) Family(string name) => (MetricTags.ColumnFamily, name);

    private static (string Key, string Value) Kind(string name) => (MetricTags.IoKind, name);

    private static byte[] Value(int seed) => LargeValueCompressionTests.Text(5000, seed);

    [Fact]
    public async Task BlobInstruments_WritesReadsAndCollection_ChangeWhenTheyShould()
    {
        using var dir = new TempDir("meter-blob");
        string name = "m-" + Guid.NewGuid().ToString("N")[..12];
        var options = new DbOptions { Name = name, Level0FileNumCompactionTrigger = 2, CacheBlobValues = true };
        options.DefaultColumnFamilyOptions.BlobValueThreshold = 1000;
        using var db = LatticeDb.Open(dir.Path, options);
        using var capture = new MetricsCapture(name);
        var def = Family("default");

        capture.Collect();
        Assert.Equal(0, capture.Latest("lattice.blob.files", def));
        Assert.Equal(0, capture.Latest("lattice.bytes.written", Kind("blob")));

        for (int i = 0; i < 40; i++) db.Put(B($"k{i:D2}"), Value(i));
        db.Flush();
        capture.Collect();
        Assert.Equal(1, capture.Latest("lattice.blob.files", def));
        Assert.True(capture.Latest("lattice.blob.live.size", def) > 0);
        Assert.Equal(0, capture.Latest("lattice.blob.garbage.size", def));
        Assert.True(capture.Latest("lattice.bytes.written", Kind("blob")) > 0);
        Assert.Equal(0, capture.Latest("lattice.bytes.read", Kind("blob")));

        Assert.Equal(Value(0), db.Get(B("k00")));
        Assert.Equal(Value(0), db.Get(B("k00")));
        capture.Collect();
        Assert.Equal(1, capture.Latest("lattice.blob_cache.misses"));
        Assert.Equal(1, capture.Latest("lattice.blob_cache.hits"));
        Assert.True(capture.Latest("lattice.bytes.read", Kind("blob")) > 0);
        Assert.Equal(0, capture.Latest("lattice.blob.gc.runs"));

        // Most values overwritten: the compaction of the two flushes finds the garbage, the idle
        // collection copies the live rest out and the old file goes.
        for (int i = 0; i < 30; i++) db.Put(B($"k{i:D2}"), Value(100 + i));
        db.Flush();
        await Task.Run(db.WaitForCompactions).WaitAsync(TimeSpan.FromMinutes(2));
        capture.Collect();
        Assert.True(capture.Latest("lattice.blob.gc.runs") >= 1);
        Assert.True(capture.Latest("lattice.blob.gc.bytes") > 0);
        Assert.Equal(0, capture.Latest("lattice.blob.garbage.size", def));
        Assert.Equal(long.Parse(db.GetProperty("lattice.blob.num-files")!, System.Globalization.CultureInfo.InvariantCulture), capture.Latest("lattice.blob.files", def));
        Assert.Equal(long.Parse(db.GetProperty("lattice.blob.live-size")!, System.Globalization.CultureInfo.InvariantCulture), capture.Latest("lattice.blob.live.size", def));
    }
}
