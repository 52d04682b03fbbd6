using LatticeKV.Compaction;

namespace LatticeKV.Db;

/// <summary>
/// Drains level 0 into level 1 once the database stops writing (<see cref="DbOptions.IdleCompactionDelay"/>).
/// Below its trigger level 0 keeps whatever tables the last flushes left, and every point read
/// and seek of a settled tree searches each of them; how many depends on where the writes
/// happened to stop. A timer of the database's clock ticks every delay and compares the last
/// sequence number with the previous tick's: unchanged, the database has been idle at least one
/// delay, and the compaction threads (woken here) pick <see cref="CompactionPicker.PickIdleDrain"/>
/// for each family that qualifies, as any other compaction. A write changes the sequence, so no
/// drain starts until a whole delay passes without one; the write path pays nothing for the clock.
/// A drain empties level 0, so each table is drained once: another drain needs new flushes.
/// A drain is also amortized over the work before it: it may rewrite at most
/// 1/<see cref="RewriteShare"/> of the bytes flushes and compactions wrote since the last drain
/// (or since open), so it adds at most that share to the database's write amplification. A tree
/// whose level 0 holds most of its data (a small database that never compacted) would be
/// rewritten whole, which is more than its reads gain, and keeps its level-0 tables until the
/// trigger compacts them.
/// State is read and changed under the database mutex.
/// </summary>
internal sealed class IdleL0Drain : IDisposable
{
    /// <summary>A drain rewrites at most this fraction (its inverse) of the bytes written since the last drain.</summary>
    public const int RewriteShare = 4;

    private readonly object _mutex;
    private readonly Func<ulong> _lastSequence;
    private readonly Func<long>? _workWritten;
    private readonly ITimer _timer;
    private long _workBaseline;
    private ulong _seen;
    private bool _idle;
    private bool _disposed;

    /// <param name="clock">Ticks every <paramref name="delay"/>.</param>
    /// <param name="delay">How long without a write makes the database idle.</param>
    /// <param name="mutex">The database mutex: state is changed under it, and waiters on it are pulsed when idleness begins.</param>
    /// <param name="lastSequence">The last published sequence number: a change means a write.</param>
    /// <param name="workWritten">Bytes flushes and compactions wrote since open; null: drains are not amortized (tests).</param>
    public IdleL0Drain(TimeProvider clock, TimeSpan delay, object mutex, Func<ulong> lastSequence, Func<long>? workWritten = null)
    {
        _mutex = mutex;
        _lastSequence = lastSequence;
        _workWritten = workWritten;
        _workBaseline = workWritten?.Invoke() ?? 0;
        _seen = lastSequence();
        _timer = clock.CreateTimer(static d => ((IdleL0Drain)d!).Tick(), this, delay, delay);
    }

    /// <summary>
    /// Declares the database idle now (a caller of <see cref="LatticeDb.WaitForCompactions"/>
    /// waits for background work, so writes it makes meanwhile are not its own). Caller holds the mutex.
    /// </summary>
    public void DeclareIdle()
    {
        _seen = _lastSequence();
        _idle = true;
    }

    /// <summary>Idleness was observed (a tick, or <see cref="DeclareIdle"/>) and no write came since.</summary>
    public bool Idle
    {
        get
        {
            lock (_mutex) return _idle && !_disposed && _lastSequence() == _seen;
        }
    }

    /// <summary>
    /// A drain for the first family that qualifies, its inputs marked, or null when the database
    /// is not idle or none does. Caller holds the mutex.
    /// </summary>
    public CompactionPlan? Pick(CompactionPicker picker, IEnumerable<ColumnFamilyData> families, out ColumnFamilyData? family)
    {
        family = null;
        if (!Idle) return null;
        foreach (var cfd in families)
        {
            if (cfd.Dropped) continue;
            if (picker.PickIdleDrain(cfd.Id, cfd.State.Current, mark: true, Budget()) is { } c)
            {
                family = cfd;
                // Its own output is work too: counted in the baseline, so the next drain is paid by new work.
                if (_workWritten is not null) _workBaseline = _workWritten() + c.AllInputs.Sum(f => f.FileSize);
                return c;
            }
        }
        return null;
    }

    /// <summary>Some family qualifies for a drain the compaction threads have not started. Caller holds the mutex.</summary>
    public bool Pending(CompactionPicker picker, IEnumerable<ColumnFamilyData> families)
        => Idle && families.Any(cfd => !cfd.Dropped && picker.PickIdleDrain(cfd.Id, cfd.State.Current, mark: false, Budget()) is not null);

    /// <summary>Bytes the next drain may rewrite. Caller holds the mutex.</summary>
    private long Budget() => _workWritten is null ? long.MaxValue : Math.Max(0, _workWritten() - _workBaseline) / RewriteShare;

    private void Tick()
    {
        lock (_mutex)
        {
            if (_disposed) return;
            ulong now = _lastSequence();
            if (now != _seen)
            {
                _seen = now;
                _idle = false;
                return;
            }
            if (_idle) return;
            _idle = true;
            Monitor.PulseAll(_mutex);
        }
    }

    public void Dispose()
    {
        lock (_mutex) _disposed = true;
        _timer.Dispose();
    }
}
