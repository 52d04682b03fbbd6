namespace LatticeKV;

/// <summary>
/// A consistent point-in-time view of the whole database (every column family), from
/// <see cref="LatticeDb.GetSnapshot"/>. Reads with <c>new ReadOptions { Snapshot = snap }</c>
/// see exactly the writes acknowledged before it was taken. Compaction keeps the data a
/// live snapshot needs, so dispose snapshots when done. Thread-safe.
/// </summary>
public sealed class Snapshot : IDisposable
{
    private readonly Db.SnapshotList _owner;
    private int _released;

    internal Snapshot(Db.SnapshotList owner, ulong sequence, LatticeDb db)
    {
        _owner = owner;
        SequenceNumber = sequence;
        Db = db;
    }

    /// <summary>The sequence number of the last write this snapshot sees.</summary>
    public ulong SequenceNumber { get; }

    internal LatticeDb Db { get; }

    internal bool IsReleased => Volatile.Read(ref _released) != 0;

    /// <summary>Releases the snapshot; later reads through it fail.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0) _owner.Remove(SequenceNumber);
    }
}
