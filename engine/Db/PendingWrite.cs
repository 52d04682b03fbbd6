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
    public Exception? Error;

    /// <summary>Set when this writer is done or has become the leader. Reused with the object.</summary>
    public readonly ManualResetEventSlim Signal = new(false, spinCount: 200);

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
        w.Signal.Reset();
        t_cached = w;
    }
}
