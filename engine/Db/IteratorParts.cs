using LatticeKV.Keys;
using LatticeKV.Sst;

namespace LatticeKV.Db;

/// <summary>
/// The internals of a <see cref="LatticeIterator"/> over one <see cref="SuperVersion"/>: the
/// merging iterator with one child per memtable, level-0 table and deeper level, and the table
/// leases they read through. Building them is about a fifth of a short scan (a seek and ten
/// steps), so a disposed iterator leaves them with its super version for the next one
/// (<see cref="SuperVersion.TryPoolIterator"/>); only the mutable memtable's child, which sees
/// the entries present when it was made, is replaced. Kept only when no range tombstone is in
/// play, because the fragmented tombstones depend on the iterator's snapshot.
/// </summary>
internal sealed class IteratorParts(MergingIterator merged, List<TableLease> leases, bool fillCache) : IDisposable
{
    /// <summary>Child 0 is the mutable memtable's iterator.</summary>
    public const int MutableMemTableChild = 0;

    public MergingIterator Merged { get; } = merged;

    public List<TableLease> Leases { get; } = leases;

    public bool FillCache { get; } = fillCache;

    /// <summary>The iterator's scratch buffers, handed on with the rest (grown ones included).</summary>
    public byte[] SavedKey { get; set; } = new byte[64];

    public byte[] SavedValue { get; set; } = [];

    public byte[] Lookup { get; set; } = new byte[64];

    public void Dispose()
    {
        Merged.Dispose();
        foreach (var lease in Leases) lease.Dispose();
    }
}
