using LatticeKV.Cache;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// The cache that anticipates, as one unit the database starts after open and stops at close:
/// the <see cref="BlockWarmer"/> behind readahead and prefetch, the <see cref="Preloader"/>
/// and <see cref="HotSetRecorder"/> (never in a read-only instance: it writes nothing), and the
/// <see cref="PrefixPrefetcher"/> when <see cref="DbOptions.Prefetch"/> is set.
/// </summary>
internal sealed class CacheAnticipation : IDisposable
{
    private readonly TableReaderOptions _readerOptions;

    public CacheAnticipation(IFileSystem fs, string db, DbOptions options, bool readOnly, BlockCacheTiers tiers, TableCache tables,
        Func<long, FileMetaData?> findLiveTable, AnticipationCounters counters)
    {
        _readerOptions = tables.Options;
        Counters = counters;
        if (options.ReadaheadMaxBytes > 0 || options.Prefetch is not null) Warmer = new BlockWarmer(tables);
        if (options.ReadaheadMaxBytes > 0)
        {
            _readerOptions.ReadaheadMaxBytes = options.ReadaheadMaxBytes;
            _readerOptions.Warmer = Warmer;
        }
        if (options.Prefetch is { } prefetch) Prefetcher = new PrefixPrefetcher(prefetch, Warmer!, tables, counters);
        if (options.Preload.Enabled && options.BlockCacheCapacity > 0)
        {
            Preloader = new Preloader(fs, db, options.Preload, options.BlockCacheCapacity, findLiveTable, tables, options.Clock);
            if (!readOnly) Recorder = new HotSetRecorder(fs, db, tiers, tables, options.Preload, options.Clock);
        }
    }

    public AnticipationCounters Counters { get; }

    public BlockWarmer? Warmer { get; }

    public Preloader? Preloader { get; }

    public HotSetRecorder? Recorder { get; }

    public PrefixPrefetcher? Prefetcher { get; }

    /// <summary>Stops every background part; with <paramref name="recordHotSet"/>, records the hot set first (a clean close).</summary>
    public void Stop(bool recordHotSet)
    {
        Preloader?.Dispose();
        Recorder?.Stop(recordHotSet);
        _readerOptions.Warmer = null;
        Warmer?.Dispose();
    }

    public void Dispose() => Stop(recordHotSet: false);
}
