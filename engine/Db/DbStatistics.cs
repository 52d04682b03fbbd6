using LatticeKV.Compaction;

namespace LatticeKV.Db;

/// <summary>
/// Engine counters. Updated with interlocked adds (cheap, uncontended on the write path since
/// only the group leader records writes); read as a consistent-enough snapshot.
/// </summary>
internal sealed class DbStatistics(Metrics.DbMetrics? metrics = null)
{
    private long _writeGroups;
    private long _writeBatches;
    private long _keysWritten;
    private long _bytesWritten;
    private long _walSyncs;
    private long _syncedBatches;
    private long _syncedWritersWaits;
    private long _syncedWritersWaitTimeouts;
    private long _syncedFollowers;
    private long _syncedFollowersBlocked;
    private long _gets;
    private long _iterators;
    private long _iteratorsReused;
    private long _flushes;
    private long _flushBytes;
    private long _compactions;
    private long _trivialMoves;
    private long _compactionBytesRead;
    private long _compactionBytesWritten;
    private long _stalls;
    private long _stallTicks;
    private long _corruptions;
    private long _backgroundErrors;
    private long _walRecordsDropped;
    private long _closeSyncFailures;
    private long _tablesHealed;
    private long _tableHealFailures;
    private long _logBytes;

    /// <summary>Blocks loaded ahead of demand (preload, readahead, prefetch) and their use.</summary>
    public Cache.AnticipationCounters Anticipation { get; } = new();

    public void RecordWrite(int batches, int keys, long bytes, bool sync)
    {
        Interlocked.Increment(ref _writeGroups);
        Interlocked.Add(ref _writeBatches, batches);
        Interlocked.Add(ref _keysWritten, keys);
        Interlocked.Add(ref _bytesWritten, bytes);
        if (sync)
        {
            Interlocked.Add(ref _syncedBatches, batches);
            metrics?.RecordWritersPerSync(batches);
        }
    }

    /// <summary>Bytes of user writes since open (what automatic backups measure change by).</summary>
    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    public void RecordWalSync() => Interlocked.Increment(ref _walSyncs);

    public void RecordSyncedWritersWait(bool timedOut)
    {
        Interlocked.Increment(ref _syncedWritersWaits);
        if (timedOut) Interlocked.Increment(ref _syncedWritersWaitTimeouts);
    }

    public void RecordSyncedFollower(bool blocked)
    {
        Interlocked.Increment(ref _syncedFollowers);
        if (blocked) Interlocked.Increment(ref _syncedFollowersBlocked);
    }

    public void RecordIterator(bool reused)
    {
        Interlocked.Increment(ref _iterators);
        if (reused) Interlocked.Increment(ref _iteratorsReused);
    }

    public void RecordGet() => Interlocked.Increment(ref _gets);

    public void RecordFlush(long bytes)
    {
        Interlocked.Increment(ref _flushes);
        Interlocked.Add(ref _flushBytes, bytes);
    }

    public void RecordCompaction(int level, int outputLevel, CompactionStats stats, bool trivialMove)
    {
        _ = level;
        _ = outputLevel;
        if (trivialMove)
        {
            Interlocked.Increment(ref _trivialMoves);
            return;
        }
        Interlocked.Increment(ref _compactions);
        Interlocked.Add(ref _compactionBytesRead, stats.BytesRead);
        Interlocked.Add(ref _compactionBytesWritten, stats.BytesWritten);
    }

    public void RecordStall(string reason)
    {
        _ = reason;
        Interlocked.Increment(ref _stalls);
    }

    /// <summary>Time writers waited in stalls and slowdowns (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public void RecordStallTime(long stopwatchTicks) => Interlocked.Add(ref _stallTicks, stopwatchTicks);

    /// <summary>Time writers waited in stalls and slowdowns since open.</summary>
    public TimeSpan StallTime => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _stallTicks));

    public void RecordCorruption() => Interlocked.Increment(ref _corruptions);

    /// <summary>Corruptions detected since open (reads, background work, healing).</summary>
    public long Corruptions => Interlocked.Read(ref _corruptions);

    public void RecordBackgroundError() => Interlocked.Increment(ref _backgroundErrors);

    public void RecordCloseSyncFailure() => Interlocked.Increment(ref _closeSyncFailures);

    public void RecordTableHealed() => Interlocked.Increment(ref _tablesHealed);

    public void RecordTableHealFailure() => Interlocked.Increment(ref _tableHealFailures);

    /// <summary>Tables replaced from a backup since open.</summary>
    public long TablesHealed => Interlocked.Read(ref _tablesHealed);

    public void RecordWalRecordsDropped(int count) => Interlocked.Add(ref _walRecordsDropped, count);

    /// <summary>Bytes appended to the write-ahead log (record payloads, before framing).</summary>
    public void RecordLogBytes(long bytes) => Interlocked.Add(ref _logBytes, bytes);

    // Read by the meter's observable instruments (LatticeDb.Metrics.cs).
    public long LogBytes => Interlocked.Read(ref _logBytes);
    public long FlushBytes => Interlocked.Read(ref _flushBytes);
    public long CompactionBytesRead => Interlocked.Read(ref _compactionBytesRead);
    public long CompactionBytesWritten => Interlocked.Read(ref _compactionBytesWritten);
    public long Flushes => Interlocked.Read(ref _flushes);
    public long Compactions => Interlocked.Read(ref _compactions);
    public long Stalls => Interlocked.Read(ref _stalls);
    public long WalSyncs => Interlocked.Read(ref _walSyncs);
    public long BackgroundErrors => Interlocked.Read(ref _backgroundErrors);

    public IReadOnlyDictionary<string, long> Snapshot() => new SortedDictionary<string, long>(StringComparer.Ordinal)
    {
        ["write.groups"] = Interlocked.Read(ref _writeGroups),
        ["write.batches"] = Interlocked.Read(ref _writeBatches),
        ["write.keys"] = Interlocked.Read(ref _keysWritten),
        ["write.bytes"] = Interlocked.Read(ref _bytesWritten),
        ["wal.syncs"] = Interlocked.Read(ref _walSyncs),
        ["wal.synced.batches"] = Interlocked.Read(ref _syncedBatches),
        ["wal.sync.gather.waits"] = Interlocked.Read(ref _syncedWritersWaits),
        ["wal.sync.gather.timeouts"] = Interlocked.Read(ref _syncedWritersWaitTimeouts),
        ["wal.sync.followers"] = Interlocked.Read(ref _syncedFollowers),
        ["wal.sync.followers.blocked"] = Interlocked.Read(ref _syncedFollowersBlocked),
        ["wal.records.dropped.at.recovery"] = Interlocked.Read(ref _walRecordsDropped),
        ["get.calls"] = Interlocked.Read(ref _gets),
        ["iterator.created"] = Interlocked.Read(ref _iterators),
        ["iterator.reused.internals"] = Interlocked.Read(ref _iteratorsReused),
        ["flush.count"] = Interlocked.Read(ref _flushes),
        ["flush.bytes"] = Interlocked.Read(ref _flushBytes),
        ["compaction.count"] = Interlocked.Read(ref _compactions),
        ["compaction.trivial.moves"] = Interlocked.Read(ref _trivialMoves),
        ["compaction.bytes.read"] = Interlocked.Read(ref _compactionBytesRead),
        ["compaction.bytes.written"] = Interlocked.Read(ref _compactionBytesWritten),
        ["write.stalls"] = Interlocked.Read(ref _stalls),
        ["write.stall.micros"] = (long)StallTime.TotalMicroseconds,
        ["corruption.detected"] = Interlocked.Read(ref _corruptions),
        ["background.errors"] = Interlocked.Read(ref _backgroundErrors),
        ["close.sync.failures"] = Interlocked.Read(ref _closeSyncFailures),
        ["backup.healed.tables"] = Interlocked.Read(ref _tablesHealed),
        ["backup.heal.failures"] = Interlocked.Read(ref _tableHealFailures),
        ["cache.preload.blocks"] = Anticipation.IssuedBlocks(Cache.WarmOrigin.Preload),
        ["cache.preload.bytes"] = Anticipation.IssuedBytes(Cache.WarmOrigin.Preload),
        ["cache.preload.hits"] = Anticipation.Used(Cache.WarmOrigin.Preload),
        ["cache.preload.wasted"] = Anticipation.Wasted(Cache.WarmOrigin.Preload),
        ["cache.readahead.issued"] = Anticipation.IssuedBlocks(Cache.WarmOrigin.Readahead),
        ["cache.readahead.bytes"] = Anticipation.IssuedBytes(Cache.WarmOrigin.Readahead),
        ["cache.readahead.used"] = Anticipation.Used(Cache.WarmOrigin.Readahead),
        ["cache.readahead.wasted"] = Anticipation.Wasted(Cache.WarmOrigin.Readahead),
        ["cache.prefetch.issued"] = Anticipation.IssuedBlocks(Cache.WarmOrigin.Prefetch),
        ["cache.prefetch.bytes"] = Anticipation.IssuedBytes(Cache.WarmOrigin.Prefetch),
        ["cache.prefetch.used"] = Anticipation.Used(Cache.WarmOrigin.Prefetch),
        ["cache.prefetch.wasted"] = Anticipation.Wasted(Cache.WarmOrigin.Prefetch),
    };
}
