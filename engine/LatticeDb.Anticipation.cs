using LatticeKV.Db;

namespace LatticeKV;

// The cache that anticipates: preload, readahead and learned prefetch (Db/CacheAnticipation).
public sealed partial class LatticeDb
{
    /// <summary>Preload, readahead and prefetch (tests and benchmarks wait on their parts); null before open.</summary>
    internal CacheAnticipation? Anticipation => _anticipation;

    private void StartAnticipation()
    {
        var counters = _stats.Anticipation;
        _tableCache.Options.Anticipation = counters;
        _cacheTiers.Decompressed.Counters = counters;
        _cacheTiers.Compressed.Counters = counters;
        _anticipation = new CacheAnticipation(_fs, _path, _options, _readOnly, _cacheTiers, _tableCache, _versions.FindLiveTable, counters);
    }

    /// <summary>Stops preload, readahead and prefetch; <paramref name="recordHotSet"/> at a clean close of a writable instance.</summary>
    private void StopAnticipation(bool recordHotSet) => _anticipation?.Stop(recordHotSet);

    /// <summary>Tells learned prefetch (when on) that <paramref name="key"/> is being read.</summary>
    internal void OnReadForPrefetch(ColumnFamilyData cfd, SuperVersion sv, ReadOnlySpan<byte> key)
    {
        if (_anticipation?.Prefetcher is { } prefetcher) prefetcher.OnRead(cfd.Id, sv.Version, cfd.Comparator, key);
    }

    /// <summary>Statistics of preload and prefetch kept outside <see cref="DbStatistics"/> (gauges of their parts).</summary>
    private void AddAnticipationStatistics(IDictionary<string, long> stats)
    {
        var a = _anticipation;
        stats["cache.preload.hotset.recorded.blocks"] = a?.Recorder?.RecordedBlocks ?? 0;
        stats["cache.preload.hotset.write.failures"] = a?.Recorder?.Failures ?? 0;
        stats["cache.preload.hotset.rejected"] = a?.Preloader?.RejectedFiles ?? 0;
        stats["cache.preload.skipped.entries"] = a?.Preloader?.SkippedEntries ?? 0;
        stats["cache.prefetch.pauses"] = a?.Prefetcher?.Pauses ?? 0;
        stats["cache.prefetch.paused"] = a?.Prefetcher?.Paused == true ? 1 : 0;
        stats["cache.prefetch.model.prefixes"] = a?.Prefetcher?.ModelSize ?? 0;
    }
}
