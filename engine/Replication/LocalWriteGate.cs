namespace LatticeKV.Replication;

/// <summary>
/// Holds local writes back while a remote apply that lost its race with them too often is
/// judged and written (see <see cref="RemoteChangeApplier"/>): without it, a replica whose
/// application writes the same keys without pause could starve a sync forever, every judgement
/// made stale by a local write before it commits. Local writes wait in stage 1 of the write
/// path (<see cref="ReplicationStage"/>), before they are queued, so the held apply's own write
/// never waits behind them; the thread holding the gate and writes from peers pass.
/// </summary>
/// <remarks>
/// The holder publishes the hold, then marks every prepared write stale
/// (<see cref="Db.WritePath.ChangeStages"/>) and waits for those already led: a write prepared
/// before the hold is prepared again and meets it, one prepared after it reads the hold. The
/// hold lasts one judgement and one write.
/// </remarks>
internal sealed class LocalWriteGate
{
    // A monitor, not a Lock: waiters need Monitor.Wait.
    private readonly object _lock = new();
    private volatile Thread? _holder;

    /// <summary>Whether a write from this thread must wait (read without locking on every write).</summary>
    public bool MustWait => _holder is { } holder && holder != Thread.CurrentThread;

    /// <summary>Blocks local writes until <see cref="Release"/>; one holder at a time (applies are serialized).</summary>
    public void Hold()
    {
        lock (_lock)
        {
            if (_holder is not null) throw new InvalidOperationException("The local write gate is already held.");
            _holder = Thread.CurrentThread;
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _holder = null;
            Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Waits while another thread holds the gate.</summary>
    public void Wait()
    {
        lock (_lock)
        {
            while (MustWait) Monitor.Wait(_lock);
        }
    }
}
