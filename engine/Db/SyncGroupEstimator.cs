using System.Diagnostics;

namespace LatticeKV.Db;

/// <summary>
/// Decides how many synced writers a new group-commit leader should wait for before its fsync.
/// <para>
/// Without waiting, N concurrent synced writers split into two alternating groups: one is in its
/// fsync while the other gathers, so each fsync carries about N/2 writes and N writers get at most
/// N/2 times the rate of one. When the leader instead waits until the writers of the previous group
/// are back (they were released a moment ago and are returning), one fsync carries all N, for the
/// cost of the wake-up time rather than of another fsync. This is PostgreSQL's commit_delay with
/// commit_siblings, made adaptive: the expected number of writers is what the last synced group saw
/// (its members plus those queued behind it), and the wait is capped by the recent fsync time, so a
/// lone writer never waits and a writer that stopped costs at most one capped wait.
/// </para>
/// Leader-owned: only the current write leader calls these methods, except
/// <see cref="FollowerSpinTicks"/>, which any follower reads.
/// </summary>
internal sealed class SyncGroupEstimator(TimeSpan? fixedWait)
{
    // Beyond this long since the last synced group, earlier concurrency says nothing about now.
    private static readonly long StaleTicks = Stopwatch.Frequency / 20;
    private static readonly long MaxWaitTicks = Stopwatch.Frequency / 500;
    private static readonly long MaxFollowerSpinTicks = Stopwatch.Frequency / 500;

    private readonly long _fixedWaitTicks = fixedWait is { } w ? (long)(w.TotalSeconds * Stopwatch.Frequency) : 0;
    private int _writers = 1;
    private long _lastGroupEnd;
    private long _fsyncTicks;
    private long _followerSpinTicks; // read by followers, hence Volatile

    /// <summary>
    /// How many queued writers (the leader included) are worth waiting for, and until when
    /// (a <see cref="Stopwatch"/> timestamp); 0 or 1 when the leader should not wait.
    /// </summary>
    public int Expected(long now, out long deadline)
    {
        deadline = 0;
        if (_writers <= 1 || now - _lastGroupEnd > Math.Max(StaleTicks, _fixedWaitTicks)) return 0;
        long wait = _fixedWaitTicks > 0 ? _fixedWaitTicks : Math.Min(_fsyncTicks, MaxWaitTicks);
        if (wait <= 0) return 0;
        deadline = now + wait;
        return _writers;
    }

    /// <summary>Folds one fsync's duration into the moving average (weight 1/8).</summary>
    public void RecordFsync(long ticks)
    {
        _fsyncTicks = _fsyncTicks == 0 ? ticks : _fsyncTicks + ((ticks - _fsyncTicks) >> 3);
        Volatile.Write(ref _followerSpinTicks, Math.Min(MaxFollowerSpinTicks, 4 * _fsyncTicks));
    }

    /// <summary>
    /// How long a synced follower yields before it blocks: a follower waits for the rest of the
    /// fsync in progress, its own group's gathering and its fsync, so about four fsyncs (at most
    /// 2 ms). 0 until an fsync has been timed.
    /// </summary>
    public long FollowerSpinTicks => Volatile.Read(ref _followerSpinTicks);

    /// <summary>
    /// Records a finished synced group: <paramref name="members"/> writers in it and
    /// <paramref name="queuedBehind"/> that arrived while it ran. After a wait that timed out only
    /// the members count, so a writer that stopped writing is not waited for again.
    /// </summary>
    public void RecordGroup(int members, int queuedBehind, bool waitTimedOut, long now)
    {
        _writers = waitTimedOut ? members : members + queuedBehind;
        _lastGroupEnd = now;
    }
}
