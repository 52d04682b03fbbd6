using LatticeKV.Compaction;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Manifest;
using LatticeKV.Memtable;
using LatticeKV.Sst;

namespace LatticeKV;

// Background work: flushes, compactions, deletion of obsolete files, background errors.
public sealed partial class LatticeDb
{
    internal TableCache Tables => _tableCache;

    /// <summary>The key registry of an encrypted database (tests and tools).</summary>
    internal Crypto.KeyRegistry? KeyRegistry => _keys;

    internal DbStatistics Statistics => _stats;

    /// <summary>The idle level-0 drain (tests); null when <see cref="DbOptions.IdleCompactionDelay"/> is off or the database is read-only.</summary>
    internal IdleL0Drain? IdleDrain => _idleDrain;

    private void StartBackgroundWork()
    {
        var flush = new Thread(FlushLoop) { IsBackground = true, Name = "lattice-flush" };
        _threads.Add(flush);
        for (int i = 0; i < _options.MaxBackgroundCompactions; i++)
            _threads.Add(new Thread(CompactionLoop) { IsBackground = true, Name = $"lattice-compact-{i}" });
        // Before the threads start: they read it under the mutex, and it is never replaced.
        if (_options.IdleCompactionDelay is { } idle && idle > TimeSpan.Zero)
            _idleDrain = new IdleL0Drain(_options.Clock, idle, _mutex, () => _writePath.LastSequence,
                _options.TestHooks?.IdleDrainUnamortized == true ? null : () => _stats.FlushBytes + _stats.CompactionBytesWritten);
        foreach (var t in _threads) t.Start();
        if (_options.TestHooks?.ManualAutoBackup != true) _autoBackup?.Start(_options.CompactionThreadNice);
    }

    /// <summary>
    /// A context whose file numbers are protected from obsolete-file deletion until
    /// <see cref="ReleaseOutputs"/> is called with the same list.
    /// </summary>
    private JobContext NewJobContext(List<long> allocated) => new(_fs, _path, _tableCache, () =>
    {
        // Allocated and registered in one step: a purge sees the number either as pending or
        // as at or above its horizon, never as an unclaimed old number.
        lock (_mutex)
        {
            long n = _versions.NewFileNumber();
            _pendingOutputs.Add(n);
            allocated.Add(n);
            return n;
        }
    }, _cmp);

    private void ReleaseOutputs(List<long> allocated)
    {
        lock (_mutex)
            foreach (long n in allocated) _pendingOutputs.Remove(n);
    }

    private void OnVersionReleased()
    {
        lock (_mutex)
        {
            _purgeRequested = true;
            Monitor.PulseAll(_mutex);
        }
    }

    private void SetBackgroundError(Exception ex, bool soft)
    {
        lock (_mutex)
        {
            if (_backgroundError is null || (_backgroundErrorSoft && !soft))
            {
                _backgroundError = ex;
                _backgroundErrorSoft = soft;
                _stats.RecordBackgroundError();
                RaiseBackgroundError(ex, soft);
            }
            Monitor.PulseAll(_mutex);
        }
    }

    private void FlushLoop()
    {
        var cancel = _shutdown.Token;
        while (true)
        {
            ColumnFamilyData? cfd = null;
            List<MemTable>? mems = null;
            ulong[] snapshots = [];
            bool purge = false;
            lock (_mutex)
            {
                while (true)
                {
                    if (_closed) return;
                    if (_backgroundError is null || _backgroundErrorSoft)
                    {
                        cfd = _columnFamilies.Values.FirstOrDefault(c => !c.Dropped && c.Imm.Count > c.ImmBeingFlushed);
                        if (cfd is not null) break;
                    }
                    if (_purgeRequested)
                    {
                        _purgeRequested = false;
                        purge = true;
                        break;
                    }
                    Monitor.Wait(_mutex);
                }
                if (cfd is not null)
                {
                    mems = cfd.Imm.Skip(cfd.ImmBeingFlushed).ToList();
                    // The flush's own references: a drop of the family releases its super version
                    // meanwhile, and the memtables' arenas must outlive this flush's reads.
                    foreach (var m in mems) m.Ref();
                    cfd.ImmBeingFlushed = cfd.Imm.Count;
                    snapshots = _snapshots.Sequences();
                    _runningJobs++;
                }
            }
            if (purge)
            {
                PurgeObsoleteFiles();
                continue;
            }
            try
            {
                FlushMemTables(cfd!, mems!, snapshots, cancel);
                ClearSoftError();
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when (cfd!.Dropped)
            {
                // The column family went away under the flush: its output was deleted, nothing is lost.
                lock (_mutex) cfd.ImmBeingFlushed = 0;
            }
            catch (Exception ex)
            {
                bool soft = IoErrors.IsDiskFull(ex);
                lock (_mutex) cfd!.ImmBeingFlushed = 0;
                SetBackgroundError(ex, soft);
                // A full disk may clear: retry after a pause. Other errors wait for a reopen.
                if (soft) WaitForRetry(cancel);
            }
            finally
            {
                foreach (var m in mems!) m.Unref();
                // Purge before the job counts as finished, so WaitForCompactions sees the files gone.
                PurgeObsoleteFiles();
                lock (_mutex)
                {
                    _runningJobs--;
                    Monitor.PulseAll(_mutex);
                }
            }
        }
    }

    private void WaitForRetry(CancellationToken cancel)
    {
        lock (_mutex)
        {
            if (!_closed) Monitor.Wait(_mutex, TimeSpan.FromSeconds(1));
        }
        cancel.ThrowIfCancellationRequested();
    }

    private void ClearSoftError()
    {
        lock (_mutex)
        {
            if (_backgroundError is not null && _backgroundErrorSoft)
            {
                _backgroundError = null;
                _backgroundErrorSoft = false;
                Monitor.PulseAll(_mutex);
            }
        }
    }

    /// <summary>
    /// Sorts <paramref name="mems"/> for the flush (outside the mutex), then lets lookups search
    /// the sorted runs and frees the memtables' hash indexes once the super versions that reach
    /// them are released: a flushed memtable stays readable until its table is installed, and
    /// holding its index beside its run would add to the moment the next memtable is full too.
    /// </summary>
    private void DropIndexes(ColumnFamilyData cfd, List<MemTable> mems)
    {
        foreach (var m in mems) m.SortForLookups();
        lock (_mutex)
        {
            foreach (var m in mems) m.DropIndex();
            if (!cfd.Dropped) cfd.InstallSuperVersion();
        }
    }

    /// <summary>Writes <paramref name="mems"/> (the oldest immutable memtables of a column family) to level 0.</summary>
    private void FlushMemTables(ColumnFamilyData cfd, List<MemTable> mems, ulong[] snapshots, CancellationToken cancel)
    {
        var stats = new CompactionStats();
        var allocated = new List<long>();
        FileMetaData? output = null;
        var builderOptions = BeginJob(cfd);
        var job = BeginFlushEvent(cfd, mems.Count);
        bool succeeded = false;
        try
        {
            DropIndexes(cfd, mems);
            output = FlushJob.Run(NewJobContext(allocated) with { Blobs = BlobSeparationFor(cfd, cfd.State.Current) }, mems, snapshots, cfd.Policy,
                builderOptions, stats, cancel);
            // The MANIFEST must never name a file (the new table, or the log it moves the horizon
            // to) whose directory entry could vanish in a power loss.
            _fs.SyncDirectory(_path);
            SyncLogsSharedWithOtherFamilies(cfd);
            // A log fsync that failed elsewhere meanwhile (the write path's) leaves the logs this
            // table's batches share with other families in doubt: record nothing.
            lock (_mutex)
                if (_backgroundError is { } hard && !_backgroundErrorSoft) throw new BackgroundErrorException("Flush stopped after a background error: " + hard.Message, hard);
            var edits = new List<VersionEdit>();
            var edit = new VersionEdit { ColumnFamilyId = cfd.Id };
            if (output is not null) edit.AddFile(0, output);
            NoteLargeValues(edit, stats);
            NoteBlobs(edit, stats);
            edits.Add(edit);
            lock (_mutex)
            {
                // The column family still needs the log of its oldest memtable that stays unflushed.
                long keep = cfd.Imm.Count > mems.Count ? cfd.Imm[mems.Count].FirstLogNumber
                    : cfd.Mem.IsEmpty ? _writePath.Logs.CurrentNumber : cfd.Mem.FirstLogNumber;
                edit.LogNumber = keep;
                AddIdleLogNumberEdits(edits, cfd);
            }
            _versions.LogAndApply(edits, () =>
            {
                cfd.Imm.RemoveRange(0, mems.Count);
                cfd.ImmBeingFlushed -= mems.Count;
                cfd.InstallSuperVersion();
                ResizeCacheTiers();
                // Counted before waiters wake: a Flush() that returns sees its flush in the statistics.
                _stats.RecordFlush(stats.BytesWritten);
                Monitor.PulseAll(_mutex);
            });
            succeeded = true;
        }
        catch
        {
            if (output is not null && !_versions.WriteUncertain) TryDeleteFile(FileNames.Table(_path, output.Number));
            throw;
        }
        finally
        {
            ReleaseOutputs(allocated);
            EndJob(builderOptions);
            EndFlushEvent(cfd, job, output, stats.BytesWritten, succeeded);
        }
    }

    /// <summary>
    /// Before a flush records its table, the logs its memtables came from must be durable when
    /// other column families still need them: a batch that wrote to this family and to another is
    /// in those logs, and a power loss after the edit would keep this family's half (in the table)
    /// and lose the other's (in the unsynced log). With one column family holding data the logs
    /// are never needed again, and syncing them would only write them to disk before deletion.
    /// A failed fsync of a log stops writes until reopen, as on the write path.
    /// </summary>
    private void SyncLogsSharedWithOtherFamilies(ColumnFamilyData flushed)
    {
        bool shared;
        lock (_mutex) shared = _columnFamilies.Values.Any(c => c != flushed && !c.Dropped && (!c.Mem.IsEmpty || c.Imm.Count > 0));
        if (!shared) return;
        try
        {
            _writePath.Logs.SyncClosed();
        }
        catch (Exception ex)
        {
            var error = ex as LatticeException ?? new LatticeIOException("fsync of a write-ahead log before a flush failed: " + ex.Message, _path, ex);
            SetBackgroundError(error, soft: false);
            throw error;
        }
    }

    /// <summary>
    /// Splits the block cache between decompressed and compressed blocks for the tables now live
    /// (see <see cref="BlockCacheTiers"/>). Caller holds _mutex, or recovery runs alone.
    /// </summary>
    private void ResizeCacheTiers()
    {
        long stored = 0, raw = 0;
        foreach (var cfd in _columnFamilies.Values)
        {
            if (cfd.Dropped) continue;
            foreach (var f in cfd.State.Current.AllFiles)
            {
                stored += CompressedTierBytes(f);
                long entryBytes = f.RawKeySize + f.RawValueSize;
                raw += entryBytes > 0 ? entryBytes + f.NumEntries * 4 : 2 * f.FileSize;
            }
        }
        _cacheTiers.Resize(stored, raw);
    }

    /// <summary>
    /// What table <paramref name="f"/> asks of the compressed tier: all of it when its data blocks
    /// are stored compressed; none when a codec could not shrink them (a table of hashes or random
    /// identifiers is stored raw, and raw blocks are cached only decompressed, so counting them
    /// would leave part of the budget to a tier that never fills); in proportion when some are.
    /// A table recovered at open, whose blocks are not known, counts whole.
    /// </summary>
    private static long CompressedTierBytes(Manifest.FileMetaData f) => f.CompressedTierBytes >= 0 ? f.CompressedTierBytes : f.FileSize;

    /// <summary>
    /// Column families with nothing unflushed need no old log: recording that lets old WAL
    /// files go. Caller holds _mutex.
    /// </summary>
    private void AddIdleLogNumberEdits(List<VersionEdit> edits, ColumnFamilyData except)
    {
        foreach (var other in _columnFamilies.Values)
        {
            if (other == except || other.Dropped || other.Imm.Count > 0 || !other.Mem.IsEmpty) continue;
            long current = _writePath.Logs.CurrentNumber;
            if (other.State.LogNumber >= current) continue;
            edits.Add(new VersionEdit { ColumnFamilyId = other.Id, LogNumber = current });
        }
    }

    private void CompactionLoop()
    {
        Io.NativeMethods.LowerCurrentThreadPriority(_options.CompactionThreadNice);
        _options.TestHooks?.BackgroundThreadStarted?.Invoke(Thread.CurrentThread.Name ?? "");
        var cancel = _shutdown.Token;
        while (true)
        {
            CompactionPlan? c = null;
            ColumnFamilyData? cfd = null;
            ColumnFamilyData? learn = null; // a family whose tables are read to learn their blob files
            ulong[] snapshots = [];
            lock (_mutex)
            {
                while (true)
                {
                    if (_closed) return;
                    long waitMs = -1;
                    if (_backgroundError is null && _manualCompactions == 0)
                    {
                        foreach (var candidate in _columnFamilies.Values)
                        {
                            if (candidate.Dropped) continue;
                            c = _picker.Pick(candidate.Id, candidate.State.Current);
                            if (c is not null)
                            {
                                cfd = candidate;
                                break;
                            }
                        }
                        // With nothing else to do, files sealed under an old key (or none) are rewritten, at a bounded rate.
                        c ??= PickReencryption(out cfd, out waitMs);
                        // Then level-0 tables below the trigger, once writes stopped for a while.
                        c ??= _idleDrain?.Pick(_picker, _columnFamilies.Values, out cfd);
                        // Then blob files whose garbage passed their family's ratio, which no compaction reaches while writes stop.
                        if (c is null) c = PickBlobCollection(out cfd, out learn);
                        if (c is not null || learn is not null) break;
                    }
                    if (waitMs >= 0) Monitor.Wait(_mutex, TimeSpan.FromMilliseconds(Math.Max(1, waitMs)));
                    else Monitor.Wait(_mutex);
                }
                snapshots = _snapshots.Sequences();
                _runningJobs++;
            }
            try
            {
                if (c is null) LearnBlobReferences(learn!, cancel);
                else RunCompaction(cfd!, c, snapshots, cancel);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return;
            }
            catch (Exception) when ((cfd ?? learn)!.Dropped)
            {
                // Dropped while compacting: the outputs were deleted and the inputs die with the family.
            }
            catch (Exception ex)
            {
                bool soft = IoErrors.IsDiskFull(ex);
                SetBackgroundError(ex, soft);
                if (soft)
                {
                    try { WaitForRetry(cancel); }
                    catch (OperationCanceledException) { return; }
                    ClearSoftError();
                }
            }
            finally
            {
                // Purge before the job counts as finished, so WaitForCompactions sees the files gone.
                PurgeObsoleteFiles();
                lock (_mutex)
                {
                    _runningJobs--;
                    Monitor.PulseAll(_mutex);
                }
            }
        }
    }

    /// <summary>Runs a picked compaction and installs its result; inputs are unmarked either way.</summary>
    private void RunCompaction(ColumnFamilyData cfd, CompactionPlan c, ulong[] snapshots, CancellationToken cancel)
    {
        VersionEdit? edit = null;
        var allocated = new List<long>();
        var builderOptions = BeginJob(cfd);
        var job = BeginCompactionEvent(cfd, c);
        CompactionStats? stats = null;
        bool succeeded = false;
        try
        {
            (edit, stats) = CompactionJob.Run(NewJobContext(allocated) with { Blobs = BlobSeparationFor(cfd, c.InputVersion) }, c, snapshots, cfd.Policy,
                builderOptions, cancel);
            if (!c.IsTrivialMove && (edit.NewFiles.Count > 0 || stats.BlobFiles.Count > 0)) _fs.SyncDirectory(_path);
            NoteLargeValues(edit, stats);
            NoteBlobs(edit, stats);
            _versions.LogAndApply([edit], () =>
            {
                c.MarkBeingCompacted(false);
                cfd.InstallSuperVersion();
                ResizeCacheTiers();
                // Counted before waiters wake: a CompactRange() that returns sees its compactions.
                _stats.RecordCompaction(c.Level, c.OutputLevel, stats, c.IsTrivialMove);
                Monitor.PulseAll(_mutex);
            });
            succeeded = true;
        }
        catch
        {
            lock (_mutex) c.MarkBeingCompacted(false);
            if (edit is not null && !c.IsTrivialMove && !_versions.WriteUncertain)
                foreach (var (_, f) in edit.NewFiles) TryDeleteFile(FileNames.Table(_path, f.Number));
            throw;
        }
        finally
        {
            ReleaseOutputs(allocated);
            EndJob(builderOptions);
            EndCompactionEvent(cfd, c, job, edit, stats, succeeded);
        }
    }

    /// <summary>Switches the given memtables and waits until they are flushed.</summary>
    private void FlushColumnFamilies(IReadOnlyList<ColumnFamilyData> cfs)
    {
        _writePath.SwitchMemTables(cfs);
        lock (_mutex)
        {
            while (cfs.Any(c => !c.Dropped && c.Imm.Count > 0))
            {
                ThrowIfClosed();
                if (_backgroundError is { } err) throw new BackgroundErrorException("Flush failed: " + err.Message, err);
                Monitor.Wait(_mutex);
            }
        }
        // The flush thread purges after installing its result; do it here too so the logs the
        // flush made obsolete are gone when Flush returns (their unwritten pages are dropped).
        PurgeObsoleteFiles();
    }

    private void CompactRangeCore(ColumnFamilyData cfd, byte[]? begin, byte[]? end)
    {
        if (begin is not null && end is not null && _cmp.CompareUser(begin, end) > 0)
            throw new InvalidArgumentException("CompactRange begin sorts after end.", nameof(begin));
        FlushColumnFamilies([cfd]);
        lock (_mutex) _manualCompactions++;
        try
        {
            int bottom = LastLevelWithData(cfd, begin, end);
            for (int level = 0; level < bottom; level++) CompactLevelRange(cfd, level, level + 1, begin, end);
            // The bottom level may still hold tombstones or entries a TTL or filter would drop.
            var version = cfd.State.Current;
            if (bottom > 0 && version.GetOverlappingInputs(bottom, begin, end) is { Count: > 0 } files
                && (files.Any(f => f.NumDeletions > 0 || f.NumRangeDeletions > 0 || f.KeyId != cfd.DesiredKeyId) || !cfd.Policy.IsNoop
                    || HasBlobGarbageToCollect(cfd, version)))
                CompactLevelRange(cfd, bottom, bottom, begin, end);
        }
        finally
        {
            lock (_mutex)
            {
                _manualCompactions--;
                Monitor.PulseAll(_mutex);
            }
        }
    }

    private static int LastLevelWithData(ColumnFamilyData cfd, byte[]? begin, byte[]? end)
    {
        var v = cfd.State.Current;
        for (int level = v.NumLevels - 1; level > 0; level--)
            if (v.GetOverlappingInputs(level, begin, end).Count > 0) return level;
        return v.NumFiles(0) > 0 ? 1 : 0;
    }

    private void CompactLevelRange(ColumnFamilyData cfd, int level, int outputLevel, byte[]? begin, byte[]? end)
    {
        CompactionPlan? c;
        ulong[] snapshots;
        lock (_mutex)
        {
            while (true)
            {
                ThrowIfClosed();
                if (_backgroundError is { } err) throw new BackgroundErrorException("Compaction stopped after a background error: " + err.Message, err);
                c = _picker.PickManual(cfd.Id, cfd.State.Current, level, outputLevel, begin, end, out bool busy);
                if (!busy) break;
                Monitor.Wait(_mutex);
            }
            if (c is null) return;
            // A manual compaction also finishes a re-encryption: stale files are rewritten, not moved.
            if (c.AllInputs.Any(f => f.KeyId != cfd.DesiredKeyId)) c.ForceRewrite = true;
            snapshots = _snapshots.Sequences();
            _runningJobs++;
        }
        try
        {
            RunCompaction(cfd, c, snapshots, _shutdown.Token);
        }
        catch (OperationCanceledException) when (_closed)
        {
            ThrowClosed();
        }
        finally
        {
            lock (_mutex)
            {
                _runningJobs--;
                Monitor.PulseAll(_mutex);
            }
        }
        PurgeObsoleteFiles();
    }

    /// <summary>
    /// Deletes files no live version, pending job or log horizon needs. File numbers at or
    /// above the counter's value when the live set was taken are kept: they belong to work
    /// that started after that moment.
    /// </summary>
    private void PurgeObsoleteFiles(bool closing = false)
    {
        HashSet<long> live;
        long minLog, manifest, horizon, currentLog;
        lock (_mutex)
        {
            if (_closed && !closing) return;
            // A failed MANIFEST write may have recorded files no live version holds yet.
            if (_versions.WriteUncertain) return;
            // A copy in progress reads the files it captured; the last one to finish purges.
            if (_deletionHolds > 0) return;
            horizon = _versions.NextFileNumberPeek;
            live = _versions.LiveFiles();
            live.UnionWith(_pendingOutputs);
            currentLog = _writePath.Logs.CurrentNumber;
            minLog = Math.Min(_versions.MinLogNumberToKeep, currentLog);
            manifest = _versions.ManifestFileNumber;
        }
        IReadOnlyList<string> names;
        try { names = _fs.ListFiles(_path); }
        catch (LatticeIOException) { return; }
        var doomed = new List<(string Path, DbFileKind Kind, long Number)>();
        foreach (var name in names)
        {
            var kind = FileNames.Parse(name, out long number);
            if (!FileNames.IsNumbered(kind)) continue;
            if (number >= horizon) continue;
            bool keep = kind switch
            {
                DbFileKind.Log => number >= minLog || number == currentLog,
                DbFileKind.Table or DbFileKind.Blob => live.Contains(number),
                DbFileKind.Manifest => number >= manifest,
                // Temporary files belong to a CURRENT update in flight; open cleans up leftovers.
                DbFileKind.Options or DbFileKind.Temp => true,
                _ => false,
            };
            if (!keep) doomed.Add((System.IO.Path.Combine(_path, name), kind, number));
        }
        foreach (var (path, kind, number) in doomed)
        {
            if (kind == DbFileKind.Log && !ArchiveBeforeDelete(path, number)) continue;
            if (kind == DbFileKind.Table) _tableCache.Evict(number);
            if (kind == DbFileKind.Blob)
            {
                _blobFiles.Evict(number);
                _tableCache.Options.BlobValues?.Forget(number);
            }
            TryDeleteFile(path);
            if (kind == DbFileKind.Log)
            {
                lock (_mutex) _writePath.Logs.Forget(number);
            }
        }
        if (!closing) DestroyUnusedKeys();
    }

    private void TryDeleteFile(string path)
    {
        try { _fs.DeleteFile(path); }
        catch (LatticeIOException) { }
    }

    private long NowMs() => _options.Clock.GetUtcNow().ToUnixTimeMilliseconds();

    private void Close()
    {
        // Before anything is torn down: no metrics collection reads the database from here on.
        _metrics.Unregister();
        // First: a backup in progress is cancelled and releases its hold on files.
        _autoBackup?.Dispose();
        StopStorageMonitor(); // the sample at close needs the database still open
        _idleDrain?.Dispose();
        lock (_mutex)
        {
            if (_closed) return;
            _closed = true;
            Monitor.PulseAll(_mutex);
        }
        _shutdown.Cancel();
        foreach (var t in _threads) t.Join();
        StopAnticipation(recordHotSet: true);
        _indexes?.StopBuilders();
        _replication?.Stop();
        // Wait for the write group in flight, if any, then make every log durable and close it.
        _writePath.RunExclusive(() => { });
        // A job that finished as the close began skipped its purge; do it now so a closed
        // database holds only the files its MANIFEST needs.
        if (!_readOnly) PurgeObsoleteFiles(closing: true);
        var syncError = _writePath.Logs.Close(sync: true);
        if (syncError is not null) _stats.RecordCloseSyncFailure();
        // Under the column family lock: a drop in progress releases its family's super version too.
        lock (_columnFamilyLock)
            foreach (var cfd in _columnFamilies.Values) cfd.ReleaseSuperVersion();
        CloseEvents();
        _versions.Dispose();
        _tableCache.Dispose();
        _cacheTiers.Clear();
        _blobFiles.Dispose();
        _keys?.Dispose();
        _dirLock.Dispose();
        _shutdown.Dispose();
        // Everything is released first: the directory can be reopened (and the log replayed) at once.
        if (syncError is not null)
            throw new LatticeIOException(
                $"Closing '{_path}': the final fsync of the write-ahead log failed, so writes acknowledged without Sync since the last successful sync may not be durable against power loss: {syncError.Message}",
                (syncError as LatticeIOException)?.FilePath ?? _path, syncError, IoErrors.IsDiskFull(syncError));
    }

    private void CloseAfterFailedOpen()
    {
        _autoBackup?.Dispose();
        _idleDrain?.Dispose();
        _closed = true;
        _shutdown.Cancel();
        foreach (var t in _threads) t.Join();
        StopAnticipation(recordHotSet: false);
        _writePath.Logs.Close(sync: false);
        CloseEvents();
        _versions.Dispose();
        _tableCache.Dispose();
        _cacheTiers.Clear();
        _blobFiles.Dispose();
        _keys?.Dispose();
        _dirLock.Dispose();
        _shutdown.Dispose();
    }
}
