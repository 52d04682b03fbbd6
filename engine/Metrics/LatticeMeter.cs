using System.Diagnostics.Metrics;

namespace LatticeKV.Metrics;

/// <summary>
/// The process-wide <c>LatticeKV</c> meter and its instruments, created once. Operation
/// latencies and writers per sync are recorded as they happen (<see cref="DbMetrics"/>);
/// everything the engine already counts (bytes, cache, stalls, sizes) is read by observable
/// instruments from the open databases (<see cref="Register"/>) only when a listener collects,
/// so it costs the operations nothing. README "Metrics" lists the instruments.
/// </summary>
internal static class LatticeMeter
{
    /// <summary>The meter's name, what <c>dotnet-counters --counters</c> and OpenTelemetry's <c>AddMeter</c> select.</summary>
    public const string Name = "LatticeKV";

    // Seconds, as OpenTelemetry's duration histograms are; the default boundaries are made for
    // milliseconds, so the advice gives a range that covers a cached read up to a stalled write.
    private static readonly double[] DurationBoundaries =
        [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private static readonly Lock RegistryLock = new();
    // Replaced whole under RegistryLock; read without it by collections.
    private static DbMetrics[] s_open = [];

    public static readonly Meter Meter = new(Name, typeof(LatticeMeter).Assembly.GetName().Version?.ToString());

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram(
        "lattice.operation.duration", "s", "Duration of a database operation (get, put, write, delete, seek, next, merge, transaction commit, sync apply).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBoundaries });

    public static readonly Histogram<int> WritersPerSync = Meter.CreateHistogram<int>(
        "lattice.wal.sync.writers", "{writer}", "Writers made durable by one fsync of the write-ahead log (group commit).",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128] });

    static LatticeMeter()
    {
        Counter("lattice.bytes.written", "By", "Bytes written, by kind: user (batches), log, flush, compaction, blob (to blob files, also counted in flush and compaction).", MetricSeries.BytesWritten);
        Counter("lattice.bytes.read", "By", "Bytes read, by kind: compaction, blob (records read from blob files by reads and garbage collection).", MetricSeries.BytesRead);
        Counter("lattice.block_cache.hits", "{lookup}", "Block cache lookups that found the block.", MetricSeries.BlockCacheHits);
        Counter("lattice.block_cache.misses", "{lookup}", "Block cache lookups that read the block from its table.", MetricSeries.BlockCacheMisses);
        Counter("lattice.bloom_filter.useful", "{check}", "Bloom filter checks that proved a key absent and saved a table read.", MetricSeries.FilterUseful);
        Counter("lattice.write.stalls", "{stall}", "Times a write was stalled or slowed while flush or compaction caught up.", MetricSeries.Stalls);
        Meter.CreateObservableCounter("lattice.write.stall.duration", () => CollectDoubles(MetricSeries.StallTime), "s", "Time writes spent stalled.");
        Counter("lattice.flushes", "{flush}", "Memtables flushed to tables.", MetricSeries.Flushes);
        Counter("lattice.compactions", "{compaction}", "Compactions run (trivial moves not counted).", MetricSeries.Compactions);
        Counter("lattice.wal.syncs", "{sync}", "Fsyncs of the write-ahead log.", MetricSeries.LogSyncs);
        Counter("lattice.background.errors", "{error}", "Background flush or compaction failures.", MetricSeries.BackgroundErrors);
        Counter("lattice.backups", "{backup}", "Automatic backups, by result: taken, skipped, failed.", MetricSeries.Backups);
        Gauge("lattice.backup.last.size", "By", "Bytes the newest automatic backup added.", MetricSeries.BackupLastBytes);
        Gauge("lattice.memtable.size", "By", "Memory of a column family's memtables (active and immutable).", MetricSeries.MemtableBytes);
        Gauge("lattice.compaction.pending", "By", "Estimated bytes compaction must rewrite to bring a column family's levels within their targets.", MetricSeries.PendingCompactionBytes);
        Gauge("lattice.live.size", "By", "Bytes of live tables per column family and level.", MetricSeries.LiveBytes);
        Meter.CreateObservableGauge("lattice.sync.lag", () => CollectDoubles(MetricSeries.SyncLag), "s", "How far a sync peer is behind this replica.");
        Counter("lattice.alerts.fired", "{alert}", "Alert episodes begun (DbOptions.Alerts).", MetricSeries.AlertsFired);
        Gauge("lattice.alerts.active", "{alert}", "Alerts fired and not yet cleared.", MetricSeries.AlertsActive);
        Counter("lattice.events", "{event}", "Events, by outcome: raised, dropped (queue full), listener_failed.", MetricSeries.Events);
        Counter("lattice.corruptions", "{corruption}", "Damage found in stored data (reads, background work, healing).", MetricSeries.Corruptions);
        Counter("lattice.cache.anticipated", "{block}", "Blocks loaded into the cache ahead of demand, by origin: preload, readahead, prefetch.", MetricSeries.AnticipatedBlocks);
        Counter("lattice.cache.anticipated.used", "{block}", "Blocks loaded ahead of demand that a read then used, by origin.", MetricSeries.AnticipatedBlocksUsed);
        Counter("lattice.cache.anticipated.wasted", "{block}", "Blocks loaded ahead of demand and evicted unused, by origin.", MetricSeries.AnticipatedBlocksWasted);
        Gauge("lattice.blob.files", "{file}", "Blob files of a column family (values stored apart from their keys).", MetricSeries.BlobFiles);
        Gauge("lattice.blob.live.size", "By", "Bytes of a column family's blob records that tables still refer to.", MetricSeries.BlobLiveBytes);
        Gauge("lattice.blob.garbage.size", "By", "Bytes of a column family's blob records no table refers to any more, not yet reclaimed.", MetricSeries.BlobGarbageBytes);
        Counter("lattice.blob.gc.runs", "{compaction}", "Compactions that copied live values out of blob files being garbage-collected.", MetricSeries.BlobGcRuns);
        Counter("lattice.blob.gc.bytes", "By", "Bytes of live values garbage collection copied to new blob files.", MetricSeries.BlobGcBytes);
        Counter("lattice.blob_cache.hits", "{lookup}", "Blob value lookups the block cache answered.", MetricSeries.BlobCacheHits);
        Counter("lattice.blob_cache.misses", "{lookup}", "Blob value lookups that read the value from its blob file.", MetricSeries.BlobCacheMisses);
    }

    private static void Counter(string name, string unit, string description, MetricSeries series)
        => Meter.CreateObservableCounter(name, () => CollectLongs(series), unit, description);

    private static void Gauge(string name, string unit, string description, MetricSeries series)
        => Meter.CreateObservableGauge(name, () => CollectLongs(series), unit, description);

    /// <summary>Makes <paramref name="metrics"/>'s database visible to the observable instruments until <see cref="Unregister"/>.</summary>
    public static void Register(DbMetrics metrics)
    {
        lock (RegistryLock) s_open = [.. s_open, metrics];
    }

    public static void Unregister(DbMetrics metrics)
    {
        lock (RegistryLock) s_open = [.. s_open.Where(m => !ReferenceEquals(m, metrics))];
    }

    /// <summary>The databases registered now (for tests).</summary>
    internal static IReadOnlyList<DbMetrics> Registered => s_open;

    private static IEnumerable<Measurement<long>> CollectLongs(MetricSeries series) => Collect(series).Longs;

    private static IEnumerable<Measurement<double>> CollectDoubles(MetricSeries series) => Collect(series).Doubles;

    private static MeasurementSink Collect(MetricSeries series)
    {
        var sink = new MeasurementSink();
        foreach (var metrics in Volatile.Read(ref s_open)) metrics.Observe(series, sink);
        return sink;
    }
}
