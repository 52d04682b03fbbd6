using LatticeKV.Db;
using LatticeKV.Metrics;

namespace LatticeKV;

// Metrics (the LatticeKV meter, engine/Metrics) and the slow-operation log: what the database
// times and what the meter's observable instruments read from it.
public sealed partial class LatticeDb : IMetricsSource
{
    /// <summary>
    /// The operations that took longer than <see cref="DbOptions.SlowOperationThreshold"/>, the
    /// newest few hundred, oldest first (newest last). Empty when the threshold is not set.
    /// </summary>
    public IReadOnlyList<SlowOperation> GetSlowOperations()
    {
        ThrowIfClosed();
        return _metrics.SlowOperations.Snapshot();
    }

    /// <summary>
    /// This database's side of the meter: latency quantiles for alerts
    /// (<see cref="DbMetrics.EnableLatencyWindow"/>, <see cref="DbMetrics.LatencyQuantile"/>) and
    /// the slow-operation seam (<c>Metrics.SlowOperations.Observer</c>).
    /// </summary>
    internal DbMetrics Metrics => _metrics;

    /// <summary>The default metrics name: the database directory's last segment.</summary>
    private static string MetricsName(string path)
    {
        string name = System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(path));
        return name.Length > 0 ? name : path;
    }

    /// <summary>A single-key write (or <paramref name="family"/> null: a batch), timed as <paramref name="kind"/>.</summary>
    private void WriteTimed(WriteBatch batch, WriteOptions? options, OperationKind kind, ColumnFamilyData? family, ReadOnlySpan<byte> key)
    {
        long started = _metrics.Start();
        WriteCore(batch, options ?? WriteOptions.Default);
        StopTimer(started, kind, family, key);
    }

    /// <summary>Ends a timing of <see cref="DbMetrics.Start"/>; an encrypted family's key stays out of the slow-operation log.</summary>
    internal void StopTimer(long started, OperationKind kind, ColumnFamilyData? family, ReadOnlySpan<byte> key)
    {
        if (started == 0) return;
        _metrics.Stop(started, kind, family?.Name, family?.Options.Encrypted ?? false, key);
    }

    void IMetricsSource.Observe(MetricSeries series, MeasurementSink sink)
    {
        if (_closed) return;
        switch (series)
        {
            case MetricSeries.BytesWritten:
                sink.Add(_stats.BytesWritten, MetricTags.IoKind, "user");
                sink.Add(_stats.LogBytes, MetricTags.IoKind, "log");
                sink.Add(_stats.FlushBytes, MetricTags.IoKind, "flush");
                sink.Add(_stats.CompactionBytesWritten, MetricTags.IoKind, "compaction");
                sink.Add(Interlocked.Read(ref _blobBytesWritten), MetricTags.IoKind, "blob");
                break;
            case MetricSeries.BytesRead:
                sink.Add(_stats.CompactionBytesRead, MetricTags.IoKind, "compaction");
                sink.Add(Interlocked.Read(ref _blobFiles.RecordBytesRead), MetricTags.IoKind, "blob");
                break;
            case MetricSeries.BlockCacheHits: sink.Add(_blockCache.Hits); break;
            case MetricSeries.BlockCacheMisses: sink.Add(_blockCache.Misses); break;
            case MetricSeries.FilterUseful: sink.Add(_filterUseful.Value); break;
            case MetricSeries.Stalls: sink.Add(_stats.Stalls); break;
            case MetricSeries.StallTime: sink.Add(_stats.StallTime.TotalSeconds); break;
            case MetricSeries.Flushes: sink.Add(_stats.Flushes); break;
            case MetricSeries.Compactions: sink.Add(_stats.Compactions); break;
            case MetricSeries.LogSyncs: sink.Add(_stats.WalSyncs); break;
            case MetricSeries.BackgroundErrors: sink.Add(_stats.BackgroundErrors); break;
            case MetricSeries.Backups: ObserveBackups(sink); break;
            case MetricSeries.BackupLastBytes:
                if (_autoBackup?.LastBackup is { } last) sink.Add(last.NewBytes);
                break;
            case MetricSeries.MemtableBytes:
            case MetricSeries.PendingCompactionBytes:
            case MetricSeries.LiveBytes:
            case MetricSeries.BlobFiles:
            case MetricSeries.BlobLiveBytes:
            case MetricSeries.BlobGarbageBytes:
                foreach (var cfd in _columnFamilies.Values)
                    if (!cfd.Dropped) ObserveFamily(series, cfd, sink);
                break;
            case MetricSeries.SyncLag: ObserveSyncLag(sink); break;
            case MetricSeries.BlobGcRuns: sink.Add(Interlocked.Read(ref _blobGcRuns)); break;
            case MetricSeries.BlobGcBytes: sink.Add(Interlocked.Read(ref _blobGcBytes)); break;
            case MetricSeries.BlobCacheHits: sink.Add(_tableCache.Options.BlobValues?.Hits ?? 0); break;
            case MetricSeries.BlobCacheMisses: sink.Add(_tableCache.Options.BlobValues?.Misses ?? 0); break;
            default: ObserveWired(series, sink); break;
        }
    }

    private void ObserveFamily(MetricSeries series, ColumnFamilyData cfd, MeasurementSink sink)
    {
        var sv = cfd.AcquireSuperVersion();
        try
        {
            switch (series)
            {
                case MetricSeries.MemtableBytes:
                    long bytes = sv.Mem.ApproximateMemoryUsage;
                    foreach (var imm in sv.Imm) bytes += imm.ApproximateMemoryUsage;
                    sink.Add(bytes, MetricTags.ColumnFamily, cfd.Name);
                    break;
                case MetricSeries.PendingCompactionBytes:
                    sink.Add(_picker.EstimatePendingBytes(sv.Version), MetricTags.ColumnFamily, cfd.Name);
                    break;
                case MetricSeries.LiveBytes:
                    for (int level = 0; level < sv.Version.NumLevels; level++)
                        sink.Add(sv.Version.LevelBytes(level), MetricTags.ColumnFamily, cfd.Name, MetricTags.Level, LevelNames[Math.Min(level, LevelNames.Length - 1)]);
                    break;
                case MetricSeries.BlobFiles:
                    sink.Add(sv.Version.BlobFiles.Count, MetricTags.ColumnFamily, cfd.Name);
                    break;
                case MetricSeries.BlobLiveBytes:
                    sink.Add(sv.Version.BlobFiles.Values.Sum(b => b.TotalBytes - b.GarbageBytes), MetricTags.ColumnFamily, cfd.Name);
                    break;
                case MetricSeries.BlobGarbageBytes:
                    sink.Add(sv.Version.BlobFiles.Values.Sum(b => b.GarbageBytes), MetricTags.ColumnFamily, cfd.Name);
                    break;
            }
        }
        finally
        {
            sv.Release();
        }
    }

    private static readonly string[] LevelNames = [.. Enumerable.Range(0, 20).Select(l => l.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private void ObserveBackups(MeasurementSink sink)
    {
        if (_autoBackup is not { } auto) return;
        var counters = auto.Counters;
        sink.Add(counters["backups.taken"], MetricTags.BackupResult, "taken");
        sink.Add(counters["backups.skipped-unchanged"], MetricTags.BackupResult, "skipped");
        sink.Add(counters["backups.failed"], MetricTags.BackupResult, "failed");
    }

    private void ObserveSyncLag(MeasurementSink sink)
    {
        if (_replication is null || SyncEntry.Status is null) return;
        IReadOnlyList<PeerSyncStatus> peers;
        try
        {
            peers = GetSyncStatus();
        }
        catch (LatticeException)
        {
            return; // a status that cannot be read now is left out of this collection
        }
        foreach (var peer in peers) sink.Add(peer.Lag.TotalSeconds, MetricTags.Peer, peer.ReplicaId.ToString());
    }
}
