using System.Diagnostics;

namespace LatticeKV.Db;

/// <summary>
/// A place in the group-commit queue: a write (a batch), or a request that must run in turn
/// with writes (switching memtables for a flush, or an exclusive action such as closing).
/// The first in the queue becomes the leader and
/// writes its own batch together with those queued behind it; the others wait until the
/// leader marks them done. Reused per thread to keep writes allocation-free.
/// </summary>
internal sealed class WriteQueueTicket
{
    [ThreadStatic] private static WriteQueueTicket? t_cached;

    public WriteBatch? Batch;
    public bool Sync;
    /// <summary>Run by the leader just before this write is logged; the write then forms a group alone unless it is an <see cref="IGroupCommitCheck"/>.</summary>
    public ICommitCheck? Check;
    /// <summary>The stage epoch the write was prepared under (<see cref="WritePath.ChangeStages"/>).</summary>
    public int StageEpoch;
    /// <summary>Leader-set: this write's check failed, so it was left out of its group's record.</summary>
    public Exception? Rejection;
    /// <summary>Not a write: switch these memtables so they can be flushed.</summary>
    public IReadOnlyList<ColumnFamilyData>? FlushRequest;
    /// <summary>Not a write: wait for every in-flight group, then run this under leadership.</summary>
    public Action? Exclusive;
    public bool Done;
    /// <summary>Leader-owned: the members of the group it led, to wake once the queue lock is released.</summary>
    public readonly List<WriteQueueTicket> Finished = [];
    public Exception? Error;

    // Set when this writer is done or has become the leader. An unsynced group finishes in
    // microseconds, so its followers spin briefly before they block. A synced one takes an fsync,
    // and its followers yield the CPU (they never busy-wait) until the leader sets the event or
    // their bound runs out: the leader is asleep in the fsync, so yielding costs nothing it needs,
    // and a follower that sees the event on its next turn need not be woken. Waking 15 blocked
    // threads on 2 vCPUs took longer than the fsync itself (BENCHMARKS.md, fillsync16).
    // The event's state is the only signal, read by a yielding follower through IsSet: a separate
    // flag set before the event let a follower return on the flag and reset, and then receive the
    // event meant for the write it had finished (a second group leader; found by a 16-writer run).
    private readonly ManualResetEventSlim _spinning = new(false, spinCount: 200);
    private readonly ManualResetEventSlim _blocking = new(false, spinCount: 1);

    /// <summary>Wakes the writer: its write is done or it is now the leader.</summary>
    public void Wake() => (Sync ? _blocking : _spinning).Set();

    /// <summary>
    /// Waits until <see cref="Wake"/>; a synced writer yields for up to <paramref name="yieldTicks"/>
    /// first. True when a synced writer had to block.
    /// </summary>
    public bool WaitForWake(long yieldTicks)
    {
        if (!Sync)
        {
            _spinning.Wait();
            return false;
        }
        if (yieldTicks > 0 && !_blocking.IsSet)
        {
            long deadline = Stopwatch.GetTimestamp() + yieldTicks;
            while (!_blocking.IsSet && Stopwatch.GetTimestamp() < deadline) Thread.Yield();
        }
        if (_blocking.IsSet) return false;
        _blocking.Wait();
        return true;
    }

    public static WriteQueueTicket Rent()
    {
        var w = t_cached ?? new WriteQueueTicket();
        t_cached = null;
        return w;
    }

    public static void Return(WriteQueueTicket w)
    {
        w.Batch = null;
        w.Check = null;
        w.StageEpoch = 0;
        w.FlushRequest = null;
        w.Exclusive = null;
        w.Error = null;
        w.Rejection = null;
        w.Done = false;
        w.Sync = false;
        w._spinning.Reset();
        w._blocking.Reset();
        t_cached = w;
    }
}
