using System.Diagnostics;
using LatticeKV.Io;
using LatticeKV.Keys;
using LatticeKV.Wal;

namespace LatticeKV.Db;

/// <summary>
/// The write path: writers queue; the first becomes the leader, merges the batches behind it
/// into one log record, appends it to the write-ahead log (one fsync for the group when any
/// writer asked for it), inserts it into the memtables and publishes its sequence numbers. The
/// others wait until their leader marks them done. Before a group is logged, full memtables are
/// switched and writers stall while flushes or compactions are too far behind.
/// </summary>
/// <remarks>
/// <para>
/// Stages of a write, in order (a feature that must be atomic with the data joins at one of
/// them and nowhere else, so that a batch stays one log record whatever is enabled):
/// 1. <see cref="Write"/>, on the caller's thread: the batch is checked against the database
///    (column families exist, ranges are ordered), then each <see cref="IWriteStage"/> runs, in
///    the order of <see cref="WriteStageOrder"/>, and may replace the batch with a rewritten
///    copy: scope sealing (<see cref="ScopeSealingStage"/>), then change records (the
///    replication log's stage), then index entries (<see cref="WriteStageOrder"/>: validation and foreign keys come first).
///    Checks and additions that depend only on the batch belong here, before it is queued.
///    A stage whose decision depends on the state at commit adds an <see cref="ICommitCheck"/>
///    instead (unique index constraints); transactions pass theirs to <see cref="Write"/>.
///    A write prepared under stages that change before it is led (an index created or dropped
///    meanwhile, <see cref="ChangeStages"/>) is prepared again: no write reaches the memtables
///    without what the current stages add.
/// 2. The leader builds the group (<see cref="BuildGroup"/>) and makes room
///    (<see cref="MakeRoomForWrite"/>): memtable switches and stalls. A write with a commit
///    check forms a group alone, unless its check is an <see cref="IGroupCommitCheck"/>: such
///    writes join groups (with no range deletion ahead of them).
/// 3. The leader runs the members' commit checks in queue order (<see cref="RunChecks"/>):
///    every earlier group is in the memtables and nothing else is written until they return; an
///    <see cref="IGroupCommitCheck"/> also sees the keys the members ahead of it in the group
///    write. A check that throws rejects its write: nothing of it is logged, it gets the
///    exception alone, and the rest of the group is written. Optimistic transactions' conflict
///    checks (groupable) and unique constraints (alone) live here.
/// 4. The leader assigns sequence numbers and the commit time; the <see cref="IWriteStamp"/>
///    (the replication log's) writes into each member that wants it what only the commit order
///    decides: change records' positions (their own sequence numbers) and clock readings
///    (<see cref="Stamp"/>). The leader then logs the group as one record
///    (<see cref="LogGroup"/>), with one fsync when any member asked for it: the log holds the
///    stamped bytes, so replay needs nothing from the stamp.
/// 5. The leader inserts the record into the memtables (<see cref="MemTableInserter"/>) and
///    publishes the last sequence number: readers see the whole group or none of it. The stamp
///    is told (<see cref="IWriteStamp.Published"/>), which wakes change-feed watchers.
/// </para>
/// <para>
/// Threads: <see cref="Write"/> and the requests are called by any thread. Leader-owned state
/// is touched only by the thread at the front of the queue, which runs one group at a time.
/// Lock order (within <see cref="LatticeDb"/>'s): queue lock, then nothing; the leader takes
/// the database mutex without holding the queue lock.
/// </para>
/// </remarks>
internal sealed class WritePath
{
    private const int MaxGroupBytes = 1 << 20;
    private const int SmallBatchBytes = 128 << 10;

    // Constant after construction.
    private readonly IWriteHost _host;
    private readonly DbOptions _options;
    private readonly InternalKeyComparator _cmp;
    private readonly DbStatistics _stats;
    private readonly SyncGroupEstimator _syncGroups;
    private readonly LogFiles _logs;

    // Stage 1 of every write, in order (set at open, before any write).
    private volatile IWriteStage[] _stages = [];
    private WriteStageOrder[] _stageOrders = [];

    // Leader-owned: the write stall episode in progress (null when writes do not wait), for its events.
    private string? _stallReason;
    private long _stallStart;

    // Stage 4's stamp (the replication log's), or null; set at open before any write.
    private IWriteStamp? _stamp;

    /// <summary>
    /// Adds a stage-1 step run by every later write (a write in flight runs with the stages it
    /// started with), placed by <paramref name="order"/> among the others whatever the order
    /// they are added in.
    /// </summary>
    public void AddStage(IWriteStage stage, WriteStageOrder order)
    {
        lock (_queueLock)
        {
            int at = 0;
            while (at < _stageOrders.Length && _stageOrders[at] <= order) at++;
            _stages = [.. _stages[..at], stage, .. _stages[at..]];
            _stageOrders = [.. _stageOrders[..at], order, .. _stageOrders[at..]];
        }
        ChangeStages();
    }

    /// <summary>Sets stage 4's stamp (at open, before any write).</summary>
    public void SetStamp(IWriteStamp stamp) => _stamp = stamp;

    // Incremented whenever the stages or what they do change; each write carries the value it was prepared under.
    private int _stageEpoch;

    // Guarded by _queueLock. The front writer is the leader; the rest wait on their own signal.
    private readonly Lock _queueLock = new();
    private readonly Queue<WriteQueueTicket> _writers = new();
    // A leader waits until this many writers are queued (0: none waits).
    private int _gatherTarget;

    // Set under _queueLock by the writer that completes the gathering; read by the yielding leader.
    private volatile bool _gathered;

    // Leader-owned.
    private readonly List<WriteQueueTicket> _group = [];
    private readonly List<ColumnFamilyData> _groupColumnFamilies = [];
    private readonly WriteBatch _groupBatch = new();
    private readonly GroupWrittenKeys _groupKeys = new();
    // The synced group's wait for writers timed out.
    private bool _gatherTimedOut;
    // The current log size above which the total WAL size must be re-checked.
    private long _walRollCheckThreshold = long.MaxValue;

    // Written by the leader (and recovery) with Volatile after memtable inserts; read by anyone.
    private ulong _lastSequence;

    public WritePath(IWriteHost host, DbOptions options, IFileSystem fs, string path, InternalKeyComparator cmp, DbStatistics stats)
    {
        _host = host;
        _options = options;
        _cmp = cmp;
        _stats = stats;
        _syncGroups = new SyncGroupEstimator(options.TestHooks?.SyncedWritersWait);
        _logs = new LogFiles(fs, path, options.WriteBufferSize, host.Mutex);
    }

    /// <summary>The write-ahead logs (rolled by recovery; synced and closed by <see cref="LatticeDb"/> at close).</summary>
    public LogFiles Logs => _logs;

    /// <summary>The sequence number of the newest write readers may see.</summary>
    public ulong LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>Publishes the last sequence found by recovery, before any write runs.</summary>
    public void SetRecoveredSequence(ulong sequence) => Volatile.Write(ref _lastSequence, sequence);

    /// <summary>Writers queued, the leader included (for tests of group commit).</summary>
    public int QueuedWriters
    {
        get { lock (_queueLock) return _writers.Count; }
    }

    /// <summary>Applies <paramref name="batch"/> atomically; returns once it is in the memtables (and on disk when <paramref name="sync"/>).</summary>
    public void Write(WriteBatch batch, bool sync, ICommitCheck? check = null)
    {
        ValidateBatch(batch);
        while (true)
        {
            // Read before the stages run: a change published after this read makes the write stale.
            int epoch = Volatile.Read(ref _stageEpoch);
            var prepared = batch;
            var preparedCheck = check;
            try
            {
                foreach (var stage in _stages) prepared = stage.Prepare(prepared, ref preparedCheck);
            }
            catch (ColumnFamilyNotFoundException) when (Volatile.Read(ref _stageEpoch) != epoch)
            {
                // A family a stage reads (an index's, a foreign key's) was dropped by a stage change
                // that raced this preparation (the change is published before the drop): prepare again
                // under the current stages, which no longer read it.
                continue;
            }
            var w = WriteQueueTicket.Rent();
            w.Batch = prepared;
            w.Sync = sync;
            w.Check = preparedCheck;
            w.StageEpoch = epoch;
            try
            {
                RunAndReturn(w);
                return;
            }
            catch (StagesChangedException)
            {
                // Prepared under stages that changed before it was led (nothing of it was written): prepare it again.
            }
        }
    }

    /// <summary>
    /// Marks every write prepared before now as stale: one that is led after this call is
    /// prepared again under the stages of the moment (see <see cref="StagesChangedException"/>).
    /// Whoever changes what a stage does (an index created or dropped) calls this after
    /// publishing the change and then waits for queued writes (<see cref="RunExclusive"/>):
    /// from then on every write reaching the memtables was prepared under the new stages.
    /// </summary>
    public void ChangeStages() => Interlocked.Increment(ref _stageEpoch);

    /// <summary>Switches the given column families' non-empty memtables (for a flush), in turn with writes.</summary>
    public void SwitchMemTables(IReadOnlyList<ColumnFamilyData> columnFamilies)
    {
        var w = WriteQueueTicket.Rent();
        w.FlushRequest = columnFamilies;
        RunAndReturn(w);
    }

    /// <summary>Runs <paramref name="action"/> while no write group is in flight.</summary>
    public void RunExclusive(Action action)
    {
        var w = WriteQueueTicket.Rent();
        w.Exclusive = action;
        RunAndReturn(w);
    }

    private void RunAndReturn(WriteQueueTicket w)
    {
        try
        {
            RunAsLeaderOrWait(w);
        }
        finally
        {
            WriteQueueTicket.Return(w);
        }
    }

    /// <summary>
    /// Starts a new log (at open, before any write). Memtables still empty start at it, so the
    /// logs before it are not needed for them.
    /// </summary>
    public long RollLogForRecovery()
    {
        lock (_host.Mutex) return RollLog();
    }

    /// <summary>Checks every operation against this database before anything is written.</summary>
    private void ValidateBatch(WriteBatch batch)
    {
        var cfs = _host.ColumnFamilies;
        foreach (uint id in batch.ColumnFamilyIds)
            if (!cfs.TryGetValue(id, out var cfd) || cfd.Dropped)
                throw new ColumnFamilyNotFoundException(id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (batch.HasMerges) MergeValidation.Check(batch, cfs);
        if (!batch.HasRangeDeletions) return;
        var reader = new WriteBatchReader(batch.Rep);
        while (reader.MoveNext())
        {
            if (reader.Kind == ValueKind.RangeDeletion && _cmp.CompareUser(reader.Key, reader.Value) > 0)
                throw new InvalidArgumentException("DeleteRange end key sorts before its begin key.", "end");
        }
    }

    /// <summary>Queues <paramref name="w"/>; when it reaches the front it leads a group, otherwise it waits for its leader.</summary>
    private void RunAsLeaderOrWait(WriteQueueTicket w)
    {
        bool leader;
        lock (_queueLock)
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
        WriteQueueTicket? next = null;
        lock (_queueLock)
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
            // A member whose check rejected it was not written: its own rejection says so best.
            done.Error = done.Rejection ?? error;
            done.Done = true;
            done.Wake();
        }
        finished.Clear();
        error = w.Rejection ?? error;
        if (error is not null) throw Rethrowable(error);
    }

    private static Exception Rethrowable(Exception error)
        => error is LatticeException or ObjectDisposedException or OperationCanceledException ? error : new LatticeException(error.Message, error);

    private void LeadGroup(WriteQueueTicket leader)
    {
        if (leader.StageEpoch != Volatile.Read(ref _stageEpoch)) throw new StagesChangedException();
        _gatherTimedOut = leader.Sync && leader.Check is null && _options.GatherSyncedWriters && GatherSyncedWriters();
        BuildGroup(leader);
        MakeRoomForWrite(_groupColumnFamilies, force: false);

        RunChecks();
        ulong first = Volatile.Read(ref _lastSequence) + 1;
        bool stamped = _stamp is { } stamp && Stamp(stamp, first);
        var batch = leader.Batch!;
        if (_group.Count > 1)
        {
            _groupBatch.Clear();
            foreach (var member in _group)
                if (member.Rejection is null) _groupBatch.Append(member.Batch!);
            batch = _groupBatch;
        }
        int count = batch.Count;
        if (count == 0) return;
        bool sync = leader.Sync;
        bool timed = GroupNeedsCommitTime();
        batch.SetHeader(first, timed ? _options.Clock.GetUtcNow().ToUnixTimeMilliseconds() : 0);

        LogGroup(batch, timed, sync, first, count);
        try
        {
            MemTableInserter.Apply(batch.Rep, _host.ColumnFamilies, recoveryLogNumber: -1);
        }
        catch (Exception ex)
        {
            // The group is in the log but not (wholly) in the memtables: its numbers are spent (a
            // later group reusing them would break replay), and the memtables no longer match the
            // log. Stop writes until a reopen replays the log.
            Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
            var error = ex as LatticeException ?? new LatticeException("Inserting a logged write group into the memtables failed: " + ex.Message, ex);
            _host.SetBackgroundError(error, soft: false);
            throw error;
        }
        Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
        _stats.RecordWrite(_group.Count, count, batch.DataSize, sync);
        if (stamped) _stamp!.Published(first + (ulong)count - 1);
    }

    /// <summary>
    /// Stage 4's first step: gives the stamp each member that needs it, with the sequence number
    /// of its first operation (members are logged in queue order, rejected ones left out).
    /// True when any member was stamped.
    /// </summary>
    private bool Stamp(IWriteStamp stamp, ulong first)
    {
        bool any = false;
        ulong next = first;
        stamp.BeginGroup();
        foreach (var member in _group)
        {
            if (member.Rejection is not null) continue;
            var batch = member.Batch!;
            if (stamp.Wants(batch))
            {
                stamp.Stamp(batch, next);
                any = true;
            }
            next += (ulong)batch.Count;
        }
        return any;
    }

    /// <summary>
    /// Stage 3: runs the members' commit checks in queue order. A write alone in its group throws
    /// its check's exception; in a larger group (whose checks are all <see cref="IGroupCommitCheck"/>,
    /// see <see cref="BuildGroup"/>) a failing member is marked rejected and the others go on, each
    /// seeing the keys of the members ahead of it that were not rejected.
    /// </summary>
    private void RunChecks()
    {
        ulong lastSequence = Volatile.Read(ref _lastSequence);
        if (_group.Count == 1)
        {
            _group[0].Check?.Check(lastSequence);
            return;
        }
        int lastChecked = _group.FindLastIndex(m => m.Check is not null);
        if (lastChecked < 0) return;
        _groupKeys.Clear();
        for (int i = 0; i <= lastChecked; i++)
        {
            var member = _group[i];
            if (member.Check is IGroupCommitCheck check)
            {
                try
                {
                    check.Check(lastSequence, _groupKeys);
                }
                catch (Exception ex)
                {
                    member.Rejection = ex;
                    continue;
                }
            }
            if (i < lastChecked) _groupKeys.Add(member.Batch!);
        }
    }

    /// <summary>
    /// Before a synced group's fsync, waits (briefly, see <see cref="SyncGroupEstimator"/>) for the
    /// writers the last synced group had, so one fsync carries all of them. Returns true when the
    /// wait timed out.
    /// </summary>
    /// <remarks>
    /// The leader yields the CPU while it waits (as its followers do, see <see cref="WriteQueueTicket"/>)
    /// instead of blocking: the writers it waits for need the CPU, and a blocked leader woken by
    /// the last of them takes a kernel wake-up to run again, where a yielding one sees the signal
    /// on its next turn (BENCHMARKS.md, fillsync16). The wait is bounded by the estimator's
    /// deadline (about one fsync).
    /// </remarks>
    private bool GatherSyncedWriters()
    {
        int expected = _syncGroups.Expected(Stopwatch.GetTimestamp(), out long deadline);
        if (expected <= 1) return false;
        lock (_queueLock)
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
        lock (_queueLock)
        {
            _gatherTarget = 0;
            timedOut = !_gathered;
        }
        _stats.RecordSyncedWritersWait(timedOut);
        return timedOut;
    }

    /// <summary>Takes the leader and compatible followers, up to about 1 MiB of batches.</summary>
    private void BuildGroup(WriteQueueTicket leader)
    {
        _group.Clear();
        _groupColumnFamilies.Clear();
        long size = leader.Batch!.DataSize;
        long max = size <= SmallBatchBytes ? size + SmallBatchBytes : MaxGroupBytes;
        // A range deletion ahead of a checked write would hide keys from its check
        // (GroupWrittenKeys holds keys only), so such a write waits for the next group.
        bool rangeDeletions = false;
        lock (_queueLock)
        {
            foreach (var w in _writers)
            {
                if (w == leader)
                {
                    _group.Add(w);
                    if (w.Check is not null and not IGroupCommitCheck) break; // judged and logged alone
                    rangeDeletions = w.Batch!.HasRangeDeletions;
                    continue;
                }
                if (w.Batch is null) break;                 // a flush or exclusive request runs alone
                if (w.Check is not null && (w.Check is not IGroupCommitCheck || rangeDeletions)) break;
                if (w.StageEpoch != leader.StageEpoch) break; // prepared under other stages: it leads (and fails) alone
                if (w.Sync && !leader.Sync) break;          // a synced write must not ride an unsynced group
                if (size + w.Batch.DataSize > max) break;
                size += w.Batch.DataSize;
                rangeDeletions |= w.Batch.HasRangeDeletions;
                _group.Add(w);
            }
        }
        var cfs = _host.ColumnFamilies;
        foreach (var w in _group)
            foreach (uint id in w.Batch!.ColumnFamilyIds)
                if (cfs.TryGetValue(id, out var cfd) && !_groupColumnFamilies.Contains(cfd)) _groupColumnFamilies.Add(cfd);
    }

    /// <summary>
    /// A put into a column family with a TTL uses the commit time (as its write time); archived
    /// logs need it on every group (point-in-time restore finds the moment by it).
    /// </summary>
    private bool GroupNeedsCommitTime()
    {
        if (_options.AutoBackup is { ArchiveLogs: true }) return true;
        foreach (var cfd in _groupColumnFamilies)
            if (cfd.Policy.Ttl is not null) return true;
        return false;
    }

    /// <summary>Logs the group as one record and, when <paramref name="sync"/>, makes it and every earlier write durable.</summary>
    private void LogGroup(WriteBatch batch, bool timed, bool sync, ulong first, int count)
    {
        _logs.BeginGroup();
        try
        {
            if (_logs.MustRollFor(LogWriter.MaxEncodedSize(batch.Rep.Length)))
            {
                lock (_host.Mutex) RollLog(LogWriter.MaxEncodedSize(batch.Rep.Length));
            }
            if (timed)
            {
                _logs.Append([], batch.Rep);
                _stats.RecordLogBytes(batch.Rep.Length);
            }
            else
            {
                Span<byte> header = stackalloc byte[WriteBatch.UntimedHeaderSize];
                WriteBatch.WriteUntimedHeader(header, first, count);
                _logs.Append(header, batch.Body);
                _stats.RecordLogBytes(header.Length + batch.Body.Length);
            }
        }
        catch (LatticeIOException ex)
        {
            // Nothing of the record reached the log (no room for it: a full disk): the write fails,
            // and the next one takes the same sequence numbers, so sequence numbers in the logs stay
            // contiguous (recovery reads a gap as lost batches). When part of it did reach the log
            // (an ordinary file's failed write) that is no longer true: stop writes until reopen.
            if (!_logs.PartialRecordLeft) throw;
            Volatile.Write(ref _lastSequence, first + (ulong)count - 1);
            _host.SetBackgroundError(ex, soft: false);
            throw;
        }
        if (!sync) return;
        try
        {
            long started = Stopwatch.GetTimestamp();
            _logs.SyncAll();
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
            _logs.MarkNeedsRoll();
            var error = ex as LatticeException ?? new LatticeIOException($"fsync of the write-ahead log '{_logs.CurrentPath}' failed: {ex.Message}", _logs.CurrentPath, ex);
            _host.SetBackgroundError(error, soft: false);
            if (error == ex) throw;
            throw error;
        }
    }

    /// <summary>Starts a new log; memtables still empty start at it. Caller holds the mutex and leadership (or recovers).</summary>
    /// <summary>Starts a new log now (shredding: the next writes must not share a log with what it destroys). Caller holds the mutex as the write leader.</summary>
    public long RollLogLocked() => RollLog();

    private long RollLog(long minCapacity = 0)
    {
        long number = _logs.Roll(_host.NewFileNumber(), minCapacity);
        foreach (var cfd in _host.ColumnFamilies.Values)
            if (cfd.Mem.IsEmpty) cfd.Mem.FirstLogNumber = number;
        return number;
    }

    /// <summary>
    /// Makes sure the memtables of <paramref name="columnFamilies"/> can take the write: switches
    /// full ones (or, with <paramref name="force"/>, any non-empty one) and stalls while flush or
    /// compaction is too far behind. Runs as the write leader, without the mutex held on entry.
    /// </summary>
    private void MakeRoomForWrite(IReadOnlyList<ColumnFamilyData> columnFamilies, bool force)
    {
        if (!force && NothingToDo(columnFamilies))
        {
            if (_stallReason is not null) EndStall();
            return;
        }
        bool delayed = false;
        string? waitReason = null;
        var mutex = _host.Mutex;
        lock (mutex)
        {
            while (true)
            {
                if (_host.IsClosed) throw new ObjectDisposedException(nameof(LatticeDb), "The database has been closed.");
                if (_host.BackgroundError is { } bgError && !force)
                    throw new BackgroundErrorException("Writes are stopped after a background error: " + bgError.Message, bgError);
                bool mustWait = false;
                bool slow = false;
                foreach (var cfd in columnFamilies)
                {
                    if (cfd.Dropped) continue;
                    var version = cfd.State.Current;
                    int l0 = version.NumFiles(0);
                    long pending = _host.PendingCompactionBytes(version);
                    if (l0 >= _options.Level0StopWritesTrigger || pending >= _options.HardPendingCompactionBytesLimit)
                    {
                        mustWait = true;
                        waitReason ??= "level-0 files or pending compaction bytes at the stop limit";
                        _stats.RecordStall(waitReason);
                        continue;
                    }
                    if (l0 >= _options.Level0SlowdownWritesTrigger || pending >= _options.SoftPendingCompactionBytesLimit) slow = true;
                    bool full = cfd.Mem.ApproximateMemoryUsage >= cfd.WriteBufferSize || (force && !cfd.Mem.IsEmpty);
                    if (!full) continue;
                    if (cfd.Imm.Count >= _options.MaxWriteBufferNumber - 1)
                    {
                        mustWait = true;
                        waitReason ??= "memtables waiting for flush";
                        _stats.RecordStall(waitReason);
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
                    BeginStall("slowdown: level-0 files or pending compaction bytes past the slowdown limit");
                    WaitTimed(mutex, 1);
                    continue;
                }
                if (!mustWait)
                {
                    if (_stallReason is not null && !delayed) EndStall();
                    return;
                }
                BeginStall(waitReason!);
                WaitTimed(mutex, Timeout.Infinite);
            }
        }
    }

    private void WaitTimed(object mutex, int milliseconds)
    {
        long start = Stopwatch.GetTimestamp();
        Monitor.Wait(mutex, milliseconds);
        _stats.RecordStallTime(Stopwatch.GetTimestamp() - start);
    }

    /// <summary>Opens a stall episode (one <see cref="WriteStallBegunEvent"/> however many writes wait in it).</summary>
    private void BeginStall(string reason)
    {
        if (_stallReason is not null) return;
        _stallReason = reason;
        _stallStart = Stopwatch.GetTimestamp();
        if (_host.Events.Enabled) _host.Events.Raise(new WriteStallBegunEvent(reason));
    }

    private void EndStall()
    {
        var duration = Stopwatch.GetElapsedTime(_stallStart);
        if (_host.Events.Enabled) _host.Events.Raise(new WriteStallEndedEvent(_stallReason!, duration));
        _stallReason = null;
    }

    /// <summary>
    /// The common case, checked without the mutex: every memtable has room, no stall threshold
    /// is reached, no background error. Safe because only the leader (this thread) switches
    /// memtables; versions and errors are read through volatile fields.
    /// </summary>
    private bool NothingToDo(IReadOnlyList<ColumnFamilyData> columnFamilies)
    {
        if (_host.BackgroundError is not null || _host.IsClosed) return false;
        // By index: a foreach over the interface boxes an enumerator on every write.
        for (int i = 0; i < columnFamilies.Count; i++)
        {
            var cfd = columnFamilies[i];
            if (cfd.Mem.ApproximateMemoryUsage >= cfd.WriteBufferSize) return false;
            var version = cfd.State.Current;
            if (version.NumFiles(0) >= _options.Level0SlowdownWritesTrigger) return false;
            if (_host.PendingCompactionBytes(version) >= _options.SoftPendingCompactionBytesLimit) return false;
        }
        return _logs.CurrentLength < _walRollCheckThreshold;
    }

    /// <summary>Switches a column family's memtable and wakes the flush thread. Caller holds the mutex as leader.</summary>
    private void SwitchMemTable(ColumnFamilyData cfd)
    {
        if (_logs.CurrentHasData) RollLog();
        cfd.SwitchMemTable(_logs.CurrentNumber);
        Monitor.PulseAll(_host.Mutex);
    }

    /// <summary>When the logs outgrow their limit, flushes the column families that pin the oldest one. Caller holds the mutex.</summary>
    private void MaybeFlushForWalSize()
    {
        long limit = MaxTotalWalSize();
        long closed = _logs.ClosedBytes;
        long total = closed + _logs.CurrentLength;
        // Checked again (under the mutex) only when the current log alone could push the total over.
        _walRollCheckThreshold = Math.Max(0, limit - closed);
        long oldest = _logs.OldestClosed;
        if (total <= limit || oldest < 0) return;
        foreach (var cfd in _host.ColumnFamilies.Values)
        {
            if (cfd.Dropped || cfd.Mem.IsEmpty) continue;
            if (cfd.Mem.FirstLogNumber <= oldest && cfd.Imm.Count < _options.MaxWriteBufferNumber - 1) SwitchMemTable(cfd);
        }
    }

    private long MaxTotalWalSize()
    {
        if (_options.MaxTotalWalSize > 0) return _options.MaxTotalWalSize;
        long sum = 0;
        foreach (var c in _host.ColumnFamilies.Values)
            if (!c.Dropped) sum += c.WriteBufferSize;
        return 4 * sum;
    }
}
