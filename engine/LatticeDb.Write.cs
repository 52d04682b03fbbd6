using System.Diagnostics;
using LatticeKV.Db;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Wal;

namespace LatticeKV;

// The write path: group commit, the WAL, memtable inserts and write stalls.
public sealed partial class LatticeDb
{
    private const int MaxGroupBytes = 1 << 20;
    private const int SmallBatchBytes = 128 << 10;

    private readonly Lock _writeLock = new();
    // Guarded by _writeLock. The front writer is the leader; the rest wait on their own signal.
    private readonly Queue<PendingWrite> _writers = new();
    // Owned by the current leader.
    private readonly List<PendingWrite> _group = [];
    private readonly List<ColumnFamilyData> _groupColumnFamilies = [];
    private readonly WriteBatch _groupBatch = new();
    private readonly SyncGroupEstimator _syncGroups;
    // Leader-owned: the synced group's wait for writers timed out.
    private bool _gatherTimedOut;
    // Guarded by _writeLock: a leader waits until this many writers are queued (0: none waits).
    private int _gatherTarget;
    // Set under _writeLock by the writer that completes the gathering; read by the yielding leader.
    private volatile bool _gathered;
    private LogWriter? _wal;
    private long _walNumber;
    private bool _walNeedsRoll;
    // Leader-owned: the current log size above which the total WAL size must be re-checked.
    private long _walRollCheckThreshold = long.MaxValue;
    // Sizes of WAL files not yet deleted, by number. Guarded by _mutex.
    private readonly SortedDictionary<long, long> _walSizes = [];
    // Closed logs not yet fsynced, kept open until a synced write needs them durable or they are
    // deleted. Guarded by _mutex.
    private readonly SortedDictionary<long, IWritableFile> _unsyncedClosedLogs = [];
    // Leader-owned: the current log's directory entry has not been fsynced yet.
    private bool _walDirectoryUnsynced;

    /// <summary>Writers queued for the WAL, the leader included (for tests of group commit).</summary>
    internal int QueuedWriters
    {
        get { lock (_writeLock) return _writers.Count; }
    }

    private void WriteCore(WriteBatch batch, WriteOptions options)
    {
        ThrowIfClosed();
        ThrowIfReadOnly("a write");
        ValidateBatch(batch);
        var w = PendingWrite.Rent();
        w.Batch = batch;
        w.Sync = options.Sync;
        try
        {
            RunAsLeaderOrWait(w);
        }
        finally
        {
            PendingWrite.Return(w);
        }
    }

    /// <summary>Checks every operation against this database before anything is written.</summary>
    private void ValidateBatch(WriteBatch batch)
    {
        var cfs = _columnFamilies;
        foreach (uint id in batch.ColumnFamilyIds)
            if (!cfs.TryGetValue(id, out var cfd) || cfd.Dropped)
                throw new ColumnFamilyNotFoundException(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!batch.HasRangeDeletions) return;
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (reader.Kind == ValueKind.RangeDeletion && _cmp.CompareUser(reader.Key, reader.Value) > 0)
                throw new InvalidArgumentException("DeleteRange end key sorts before its begin key.", "end");
        }
    }

    /// <summary>Queues <paramref name="w"/>; when it reaches the front it leads a group, otherwise it waits for its leader.</summary>
    private void RunAsLeaderOrWait(PendingWrite w)
    {
        bool leader;
        lock (_writeLock)
        {
            _writers.Enqueue(w);
            leader = _writers.Count == 1;
            if (_gatherTarget > 0 && (_writers.Count >= _gatherTarget || w.Batch is null)) _gathered = true;
        }
        if (!leader)
        {
            // Signalled either because a leader finished this write, or because it is now first.
            bool blocked = w.WaitForWake(_syncGroups.FollowerSpinTicks);
            if (w.Sync) _stats.RecordSyncedFollower(blocked);
            if (w.Done)
            {
                if (w.Error is not null) throw Rethrowable(w.Error);
                return;
            }
        }

        Exception? error = null;
        try
        {
            if (w.Exclusive is not null) w.Exclusive();
            else if (w.FlushRequest is not null) MakeRoomForWrite(w.FlushRequest, force: true);
            else LeadGroup(w);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        // Members are woken after the lock is released: a woken writer's next write needs the
        // lock, and waking fifteen threads while holding it makes each of them block on it again.
        var finished = w.Finished;
        PendingWrite? next = null;
        lock (_writeLock)
        {
            int members = Math.Max(1, _group.Count);
            for (int i = 0; i < members; i++)
            {
                var done = _writers.Dequeue();
                if (done != w) finished.Add(done);
            }
            _group.Clear();
            // A group is synced when its leader is (a synced writer never joins an unsynced group).
            if (w.Sync && w.Batch is not null)
                _syncGroups.RecordGroup(members, _writers.Count, _gatherTimedOut, Stopwatch.GetTimestamp());
            if (_writers.Count > 0) next = _writers.Peek();
        }
        next?.Wake();
        foreach (var done in finished)
        {
            done.Error = error;
            done.Done = true;
            done.Wake();
        }
        finished.Clear();
        if (error is not null) throw Rethrowable(error);
    }

    private static Exception Rethrowable(Exception error)
        => error is LatticeException or ObjectDisposedException or OperationCanceledException ? error : new LatticeException(error.Message, error);

    private void LeadGroup(PendingWrite leader)
    {
        _gatherTimedOut = leader.Sync && _options.GatherSyncedWriters && GatherSyncedWriters();
        BuildGroup(leader);
        MakeRoomForWrite(_groupColumnFamilies, force: false);

        var batch = leader.Batch!;
        if (_group.Count > 1)
        {
            _groupBatch.Clear();
            foreach (var member in _group) _groupBatch.Append(member.Batch!);
            batch = _groupBatch;
        }
        int count = batch.Count;
        if (count == 0) return;
        bool sync = leader.Sync;
        ulong first = Volatile.Read(ref _lastSequence) + 1;
        bool timed = GroupNeedsCommitTime();
        batch.SetHeader(first, timed ? _options.Clock.GetUtcNow().ToUnixTimeMilliseconds() : 0);

        AppendToWal(batch, timed, sync, first, count);
        ApplyToMemTables(batch.Rep, recoveryLogNumber: -1);
        Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
        _stats.RecordWrite(_group.Count, count, batch.DataSize, sync);
    }

    /// <summary>
    /// Before a synced group's fsync, waits (briefly, see <see cref="SyncGroupEstimator"/>) for the
    /// writers the last synced group had, so one fsync carries all of them. Returns true when the
    /// wait timed out.
    /// </summary>
    /// <remarks>
    /// The leader yields the CPU while it waits (as its followers do, see <see cref="PendingWrite"/>)
    /// instead of blocking: the writers it waits for need the CPU, and a blocked leader woken by
    /// the last of them took 40–130 µs to run again on 2 vCPUs, a third of an fsync, where a
    /// yielding one saw the signal 12–79 µs after it was set (under 25 µs in most runs). The
    /// wait is bounded by the estimator's deadline (about one fsync, at most 2 ms).
    /// </remarks>
    private bool GatherSyncedWriters()
    {
        int expected = _syncGroups.Expected(Stopwatch.GetTimestamp(), out long deadline);
        if (expected <= 1) return false;
        lock (_writeLock)
        {
            int queued = 0;
            foreach (var w in _writers)
            {
                if (w.Batch is null) break;  // a flush or exclusive request ends the group anyway
                queued++;
            }
            if (queued >= expected || queued < _writers.Count)
            {
                _stats.RecordSyncedWritersWait(timedOut: false);
                return false;
            }
            _gathered = false;
            _gatherTarget = expected;
        }
        while (!_gathered && Stopwatch.GetTimestamp() < deadline) Thread.Yield();
        bool timedOut;
        lock (_writeLock)
        {
            _gatherTarget = 0;
            timedOut = !_gathered;
        }
        _stats.RecordSyncedWritersWait(timedOut);
        return timedOut;
    }

    /// <summary>Takes the leader and compatible followers, up to about 1 MiB of batches.</summary>
    private void BuildGroup(PendingWrite leader)
    {
        _group.Clear();
        _groupColumnFamilies.Clear();
        long size = leader.Batch!.DataSize;
        long max = size <= SmallBatchBytes ? size + SmallBatchBytes : MaxGroupBytes;
        lock (_writeLock)
        {
            foreach (var w in _writers)
            {
                if (w == leader)
                {
                    _group.Add(w);
                    continue;
                }
                if (w.Batch is null) break;                 // a flush or exclusive request runs alone
                if (w.Sync && !leader.Sync) break;          // a synced write must not ride an unsynced group
                if (size + w.Batch.DataSize > max) break;
                size += w.Batch.DataSize;
                _group.Add(w);
            }
        }
        var cfs = _columnFamilies;
        foreach (var w in _group)
            foreach (uint id in w.Batch!.ColumnFamilyIds)
                if (cfs.TryGetValue(id, out var cfd) && !_groupColumnFamilies.Contains(cfd)) _groupColumnFamilies.Add(cfd);
    }

    /// <summary>Only a put into a column family with a TTL uses the commit time (as its write time).</summary>
    private bool GroupNeedsCommitTime()
    {
        foreach (var cfd in _groupColumnFamilies)
            if (cfd.Policy.Ttl is not null) return true;
        return false;
    }

    private void AppendToWal(WriteBatch batch, bool timed, bool sync, ulong first, int count)
    {
        try
        {
            long needed = LogWriter.MaxEncodedSize(batch.Rep.Length);
            if (_walNeedsRoll || _wal is null || _wal.Length + needed > _wal.File.Capacity)
            {
                lock (_mutex) RollWal(needed);
            }
            if (timed)
            {
                _wal!.AddRecord(batch.Rep);
            }
            else
            {
                Span<byte> header = stackalloc byte[WriteBatch.UntimedHeaderSize];
                WriteBatch.WriteUntimedHeader(header, first, count);
                _wal!.AddRecord(header, batch.Body);
            }
            _wal.File.Flush();
        }
        catch (LatticeIOException)
        {
            // The record may be partly on disk: burn its sequence numbers and continue in a new
            // log, so a partial record can only ever be the tail of a file.
            Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
            _walNeedsRoll = true;
            throw;
        }
        if (sync)
        {
            try
            {
                // A synced write makes every earlier write durable: older logs and the directory entry first.
                SyncClosedLogs();
                if (_walDirectoryUnsynced)
                {
                    _fs.SyncDirectory(_path);
                    _walDirectoryUnsynced = false;
                }
                long started = Stopwatch.GetTimestamp();
                _wal.File.Sync();
                _syncGroups.RecordFsync(Stopwatch.GetTimestamp() - started);
                _stats.RecordWalSync();
            }
            catch (Exception ex)
            {
                // After a failed fsync nothing is known about what reached the disk (and Linux may
                // have dropped the dirty pages): stop writing until the database is reopened.
                // Whatever the exception's type: a write that was asked to be durable and might
                // not be must never let later writes carry on as though it were.
                Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
                _walNeedsRoll = true;
                var error = ex as LatticeException ?? new LatticeIOException($"fsync of the write-ahead log '{_wal.File.Path}' failed: {ex.Message}", _wal.File.Path, ex);
                SetBackgroundError(error, soft: false);
                if (error == ex) throw;
                throw error;
            }
        }
    }

    /// <summary>
    /// Inserts a batch into memtables. During recovery, <paramref name="recoveryLogNumber"/> is
    /// the log being replayed and column families that already flushed it are skipped.
    /// </summary>
    private void ApplyToMemTables(ReadOnlySpan<byte> rep, long recoveryLogNumber)
    {
        var reader = new WriteBatchReader(rep);
        var cfs = _columnFamilies;
        ulong seq = reader.Sequence;
        while (reader.MoveNext())
        {
            ulong s = seq++;
            if (!cfs.TryGetValue(reader.ColumnFamilyId, out var cfd) || cfd.Dropped) continue;
            if (recoveryLogNumber >= 0 && recoveryLogNumber < cfd.State.LogNumber) continue;
            var kind = reader.Kind;
            // A batch logged without a commit time touched no column family with a TTL when it
            // was written: its values stay plain, as they would be had they been flushed then.
            if (kind == ValueKind.Value && cfd.Policy.Ttl is not null && reader.CommitTimeMs is not null) kind = ValueKind.TimedValue;
            cfd.Mem.Add(s, kind, reader.Key, reader.Value, reader.CommitTimeMs ?? 0);
        }
    }

    /// <summary>
    /// Starts a new WAL file with room for at least <paramref name="minCapacity"/> bytes. Caller
    /// holds _mutex and write leadership (or is recovering). The old log is neither fsynced nor
    /// closed here: a later synced write, a flush that makes it obsolete, or closing the
    /// database does that, so a roll costs no disk wait on the write path.
    /// </summary>
    private void RollWal(long minCapacity = 0)
    {
        long number = _versions.NewFileNumber();
        // Reserve about one memtable's worth: logs roll with memtables anyway.
        long capacity = Math.Max(minCapacity, Math.Clamp(_options.WriteBufferSize + (_options.WriteBufferSize >> 2), 1L << 20, 80L << 20));
        var file = _fs.CreateLog(FileNames.Log(_path, number), capacity);
        var old = _wal;
        long oldNumber = _walNumber;
        _wal = new LogWriter(file);
        _walNumber = number;
        _walNeedsRoll = false;
        _walDirectoryUnsynced = true;
        if (old is not null)
        {
            _walSizes[oldNumber] = old.Length;
            _unsyncedClosedLogs[oldNumber] = old.File;
        }
        foreach (var cfd in _columnFamilies.Values)
            if (cfd.Mem.IsEmpty) cfd.Mem.FirstLogNumber = number;
    }

    /// <summary>Fsyncs and closes every closed log not yet synced. Runs as the write leader.</summary>
    private void SyncClosedLogs()
    {
        List<IWritableFile> logs;
        lock (_mutex)
        {
            if (_unsyncedClosedLogs.Count == 0) return;
            logs = [.. _unsyncedClosedLogs.Values];
            _unsyncedClosedLogs.Clear();
        }
        try
        {
            foreach (var log in logs) log.Sync();
        }
        finally
        {
            foreach (var log in logs) CloseQuietly(log);
        }
    }

    /// <summary>Closes a closed log whose data is already in tables (no sync needed). Caller holds _mutex.</summary>
    private void ForgetClosedLog(long number)
    {
        if (_unsyncedClosedLogs.Remove(number, out var log)) CloseQuietly(log);
    }

    private static void CloseQuietly(IWritableFile file)
    {
        try { file.Dispose(); }
        catch (LatticeIOException) { }
    }

    /// <summary>
    /// Makes sure the memtables of <paramref name="columnFamilies"/> can take the write: switches
    /// full ones (or, with <paramref name="force"/>, any non-empty one) and stalls while flush or
    /// compaction is too far behind. Runs as the write leader, without _mutex held on entry.
    /// </summary>
    private void MakeRoomForWrite(IReadOnlyList<ColumnFamilyData> columnFamilies, bool force)
    {
        if (!force && NothingToDo(columnFamilies)) return;
        bool delayed = false;
        lock (_mutex)
        {
            while (true)
            {
                ThrowIfClosed();
                if (_backgroundError is not null && !force) throw new BackgroundErrorException("Writes are stopped after a background error: " + _backgroundError.Message, _backgroundError);
                bool mustWait = false;
                bool slow = false;
                foreach (var cfd in columnFamilies)
                {
                    if (cfd.Dropped) continue;
                    var version = cfd.State.Current;
                    int l0 = version.NumFiles(0);
                    long pending = _picker.PendingBytes(version);
                    if (l0 >= _options.Level0StopWritesTrigger || pending >= _options.HardPendingCompactionBytesLimit)
                    {
                        mustWait = true;
                        _stats.RecordStall("level0 or pending compaction bytes at stop limit");
                        continue;
                    }
                    if (l0 >= _options.Level0SlowdownWritesTrigger || pending >= _options.SoftPendingCompactionBytesLimit) slow = true;
                    bool full = cfd.Mem.ApproximateMemoryUsage >= cfd.WriteBufferSize || (force && !cfd.Mem.IsEmpty);
                    if (!full) continue;
                    if (cfd.Imm.Count >= _options.MaxWriteBufferNumber - 1)
                    {
                        mustWait = true;
                        _stats.RecordStall("memtables waiting for flush");
                        continue;
                    }
                    SwitchMemTable(cfd);
                }
                if (!force) MaybeFlushForWalSize();
                if (slow && !delayed && !mustWait && !force)
                {
                    // Give compaction a moment per write rather than stopping writes outright.
                    delayed = true;
                    _stats.RecordStall("slowdown");
                    Monitor.Wait(_mutex, 1);
                    continue;
                }
                if (!mustWait) return;
                Monitor.Wait(_mutex);
            }
        }
    }

    /// <summary>
    /// The common case, checked without the mutex: every memtable has room, no stall threshold
    /// is reached, no background error. Safe because only the leader (this thread) switches
    /// memtables; versions and errors are read through volatile fields.
    /// </summary>
    private bool NothingToDo(IReadOnlyList<ColumnFamilyData> columnFamilies)
    {
        if (Volatile.Read(ref _backgroundError) is not null || _closed) return false;
        foreach (var cfd in columnFamilies)
        {
            if (cfd.Mem.ApproximateMemoryUsage >= cfd.WriteBufferSize) return false;
            var version = cfd.State.Current;
            if (version.NumFiles(0) >= _options.Level0SlowdownWritesTrigger) return false;
            if (_picker.PendingBytes(version) >= _options.SoftPendingCompactionBytesLimit) return false;
        }
        return _wal is null || _wal.Length < _walRollCheckThreshold;
    }

    /// <summary>Switches a column family's memtable and schedules its flush. Caller holds _mutex as leader.</summary>
    private void SwitchMemTable(ColumnFamilyData cfd)
    {
        if (_wal is not null && _wal.Length > 0) RollWal();
        cfd.SwitchMemTable(_walNumber);
        Monitor.PulseAll(_mutex);
    }

    /// <summary>When the logs outgrow their limit, flushes the column families that pin the oldest one. Caller holds _mutex.</summary>
    private void MaybeFlushForWalSize()
    {
        long limit = MaxTotalWalSize();
        long total = _wal?.Length ?? 0;
        foreach (var size in _walSizes.Values) total += size;
        // Checked again (under the mutex) only when the current log alone could push the total over.
        _walRollCheckThreshold = Math.Max(0, limit - (total - (_wal?.Length ?? 0)));
        if (total <= limit || _walSizes.Count < 1) return;
        long oldest = _walSizes.Keys.First();
        foreach (var cfd in _columnFamilies.Values)
        {
            if (cfd.Dropped || cfd.Mem.IsEmpty) continue;
            if (cfd.Mem.FirstLogNumber <= oldest && cfd.Imm.Count < _options.MaxWriteBufferNumber - 1) SwitchMemTable(cfd);
        }
    }

    private long MaxTotalWalSize()
    {
        if (_options.MaxTotalWalSize > 0) return _options.MaxTotalWalSize;
        long sum = 0;
        foreach (var c in _columnFamilies.Values)
            if (!c.Dropped) sum += c.WriteBufferSize;
        return 4 * sum;
    }

    /// <summary>Switches the given memtables and waits until they are flushed.</summary>
    private void FlushColumnFamilies(IReadOnlyList<ColumnFamilyData> cfs)
    {
        var w = PendingWrite.Rent();
        w.FlushRequest = cfs;
        try
        {
            RunAsLeaderOrWait(w);
        }
        finally
        {
            PendingWrite.Return(w);
        }
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

    /// <summary>Runs <paramref name="action"/> while no write group is in flight.</summary>
    private void RunExclusive(Action action)
    {
        var w = PendingWrite.Rent();
        w.Exclusive = action;
        try
        {
            RunAsLeaderOrWait(w);
        }
        finally
        {
            PendingWrite.Return(w);
        }
    }
}
