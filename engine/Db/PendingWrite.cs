namespace LatticeKV.Db;

/// <summary>
/// One caller waiting in the group-commit queue. The first in the queue becomes the leader and
/// writes its own batch together with those queued behind it; the others wait until the
/// leader marks them done. Reused per thread to keep writes allocation-free.
/// </summary>
internal sealed class PendingWrite
{
    [ThreadStatic] private static PendingWrite? t_cached;

    public WriteBatch? Batch;
    public bool Sync;
    /// <summary>Not a write: switch these memtables so they can be flushed.</summary>
    public IReadOnlyList<ColumnFamilyData>? FlushRequest;
    /// <summary>Not a write: wait for every in-flight group, then run this under leadership.</summary>
    public Action? Exclusive;
    public bool Done;
    /// <summary>Leader-owned: the members of the group it led, to wake once the queue lock is released.</summary>
    public readonly List<PendingWrite> Finished = [];
    public Exception? Error;

    // Set when this writer is done or has become the leader. An unsynced group finishes in
    // microseconds, so its followers spin before they block; a synced one takes at least an fsync,
    // and followers spinning (16 writers on 2 cores) would only delay the writers being woken.
    private readonly ManualResetEventSlim _spinning = new(false, spinCount: 200);
    private readonly ManualResetEventSlim _blocking = new(false, spinCount: 1);

    /// <summary>Wakes the writer: its write is done or it is now the leader.</summary>
    public void Wake() => (Sync ? _blocking : _spinning).Set();

    /// <summary>Waits until <see cref="Wake"/>.</summary>
    public void WaitForWake() => (Sync ? _blocking : _spinning).Wait();

    public static PendingWrite Rent()
    {
        var w = t_cached ?? new PendingWrite();
        t_cached = null;
        return w;
    }

    public static void Return(PendingWrite w)
    {
        w.Batch = null;
        w.FlushRequest = null;
        w.Exclusive = null;
        w.Error = null;
        w.Done = false;
        w.Sync = false;
        w._spinning.Reset();
        w._blocking.Reset();
        t_cached = w;
    }
}
