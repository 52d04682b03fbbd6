using LatticeKV.Manifest;
using LatticeKV.Memtable;

namespace LatticeKV.Db;

/// <summary>
/// Everything a read of one column family needs, captured consistently: the mutable memtable,
/// the immutable ones (newest first) and the current version. Replaced as a whole under the
/// database mutex when any part changes; readers take a counted reference without locking.
/// </summary>
internal sealed class SuperVersion
{
    private int _refs = 1; // the column family's own reference while current
    private IteratorParts? _pooledIterator;
    // The memtables whose hash index this super version's readers may probe (see MemTable.DropIndex).
    private readonly List<MemTable> _indexViews = [];

    /// <summary>Caller holds the database mutex (or opens the database alone).</summary>
    public SuperVersion(MemTable mem, MemTable[] imm, LsmVersion version)
    {
        Mem = mem;
        Imm = imm;
        Version = version;
        version.Ref();
        mem.EnterMutableView();
        mem.Ref();
        if (mem.TryEnterIndexView()) _indexViews.Add(mem);
        foreach (var m in imm)
        {
            m.Ref();
            if (m.TryEnterIndexView()) _indexViews.Add(m);
        }
    }

    public MemTable Mem { get; }

    /// <summary>Immutable memtables, newest first.</summary>
    public MemTable[] Imm { get; }

    public LsmVersion Version { get; }

    /// <summary>Takes a reference unless the super version was already fully released.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _refs);
            if (r == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        // Only holders of a reference pool parts, and they pool before releasing: none come later.
        Interlocked.Exchange(ref _pooledIterator, null)?.Dispose();
        Version.Unref();
        Mem.LeaveMutableView();
        foreach (var m in _indexViews) m.LeaveIndexView();
        Mem.Unref();
        foreach (var m in Imm) m.Unref();
    }

    /// <summary>Takes the parts a disposed iterator left, when they were built with the same cache policy.</summary>
    public IteratorParts? TakePooledIterator(bool fillCache)
    {
        var parts = Interlocked.Exchange(ref _pooledIterator, null);
        if (parts is null || parts.FillCache == fillCache) return parts;
        parts.Dispose();
        return null;
    }

    /// <summary>
    /// Keeps <paramref name="parts"/> for the next iterator over this super version. The caller
    /// holds a reference. False when parts are already kept: the caller disposes these.
    /// </summary>
    public bool TryPoolIterator(IteratorParts parts) => Interlocked.CompareExchange(ref _pooledIterator, parts, null) is null;
}
