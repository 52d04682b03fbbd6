using System.Buffers;
using LatticeKV.Db;

namespace LatticeKV.Indexing;

/// <summary>
/// The entries of an index read a window ahead of an <see cref="IndexIterator"/>, in its
/// direction, with the primary lookups of the window's entries hinted ahead of their checks
/// (<see cref="MultiGetPrefetch"/>): each stage of a lookup's memory loads is issued a few checks
/// before the check needs it, so the check finds its lines loaded instead of waiting on each.
/// <para>
/// The window starts small and doubles with each refill, so a query that stops after a few
/// entries reads few past them, and a long walk reads far enough ahead. While entries are
/// buffered the entries iterator stands past them: it is always at the first entry not yet read
/// into the window (in the window's direction). The window holds the primary family's super
/// version (and the tables it hints) until it is refilled, reset or disposed.
/// </para>
/// </summary>
internal sealed class IndexReadAhead(LatticeDb db, ColumnFamilyHandle primary, ReadOptions read) : IDisposable
{
    private const int FirstWindow = 4;
    private const int LargestWindow = 32;
    // Stage 2 of an entry's lookup is issued this many checks before it, stage 3 two, stage 4 one.
    private const int Lead = 3;

    private byte[] _bytes = [];               // the window's entries back to back (pooled)
    private readonly int[] _ends = new int[LargestWindow];
    private readonly int[] _lookupOf = new int[LargestWindow]; // each entry's lookup, -1 for records that are not entries
    private int _count;                       // entries in the window
    private int _next;                        // the next entry to hand out
    private int _size = FirstWindow;          // entries the next refill reads
    private byte[] _indexKeyScratch = [];     // pooled
    private MultiGetPrefetch? _prefetch;      // the window's lookups, while their super version is held
    private SuperVersion? _superVersion;

    /// <summary>Forgets the window (the entries iterator was moved) and starts the next one small again.</summary>
    public void Reset()
    {
        EndHints();
        _count = _next = 0;
        _size = FirstWindow;
    }

    /// <summary>
    /// The next entry in the window, refilling it from <paramref name="entries"/> (moving it on
    /// <paramref name="forward"/> or back) when it is used up; false when no entry is left.
    /// Valid until the next call.
    /// </summary>
    public bool TryTake(LatticeIterator entries, bool forward, out ReadOnlySpan<byte> entry)
    {
        if (_next == _count && !Refill(entries, forward))
        {
            entry = default;
            return false;
        }
        int start = _next == 0 ? 0 : _ends[_next - 1];
        entry = _bytes.AsSpan(start, _ends[_next] - start);
        _next++;
        if (_prefetch is { } prefetch)
        {
            // The entry handed out is checked next: move the later lookups' hints one stage on.
            int lookup = _lookupOf[_next - 1];
            if (lookup >= 0)
            {
                prefetch.Stage(lookup + 1, 4);
                prefetch.Stage(lookup + 2, 3);
                prefetch.Stage(lookup + Lead, 2);
            }
        }
        return true;
    }

    /// <summary>Returns the pooled buffers and lets go of the hinted tables.</summary>
    public void Dispose()
    {
        EndHints();
        Return(ref _bytes);
        Return(ref _indexKeyScratch);
    }

    private bool Refill(LatticeIterator entries, bool forward)
    {
        EndHints();
        _count = _next = 0;
        int used = 0;
        ulong snapshot = db.SnapshotSequence(read);
        var prefetch = MultiGetPrefetch.Rent();
        int lookups = 0;
        try
        {
            for (; _count < _size && entries.Valid; MoveOn(entries, forward))
            {
                var key = entries.Key;
                if (_bytes.Length - used < key.Length) Grow(ref _bytes, used, used + key.Length);
                key.CopyTo(_bytes.AsSpan(used));
                used += key.Length;
                _lookupOf[_count] = -1;
                if (_indexKeyScratch.Length < key.Length) Grow(ref _indexKeyScratch, 0, key.Length);
                if (IndexKeyEncoding.TrySplit(key, _indexKeyScratch, out _, out var primaryKey))
                {
                    prefetch.Add(primaryKey, snapshot);
                    _lookupOf[_count] = lookups++;
                }
                _ends[_count++] = used;
            }
            _size = Math.Min(_size * 2, LargestWindow);
            if (lookups > 0) StartHints(prefetch, lookups);
        }
        finally
        {
            if (_prefetch is null) MultiGetPrefetch.Return(prefetch);
        }
        return _count > 0;
    }

    /// <summary>Stage 1 for the whole window; the first lookups' later stages at once, as nothing runs before them.</summary>
    private void StartHints(MultiGetPrefetch prefetch, int lookups)
    {
        _superVersion = db.AcquireSuperVersion(primary);
        _prefetch = prefetch;
        prefetch.Begin(_superVersion.Version);
        for (int i = 0; i < Lead && i < lookups; i++) prefetch.Stage(i, 2);
        prefetch.Stage(0, 3);
        prefetch.Stage(1, 3);
        prefetch.Stage(0, 4);
    }

    private void EndHints()
    {
        if (_prefetch is { } prefetch)
        {
            _prefetch = null;
            MultiGetPrefetch.Return(prefetch);
        }
        if (_superVersion is { } sv)
        {
            _superVersion = null;
            sv.Release();
        }
    }

    /// <summary>Replaces <paramref name="buffer"/> by a pooled one of at least <paramref name="length"/> bytes, keeping its first <paramref name="keep"/>.</summary>
    private static void Grow(ref byte[] buffer, int keep, int length)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(length, Math.Max(buffer.Length * 2, 2048)));
        buffer.AsSpan(0, keep).CopyTo(larger);
        Return(ref buffer);
        buffer = larger;
    }

    private static void Return(ref byte[] buffer)
    {
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
        buffer = [];
    }

    private static void MoveOn(LatticeIterator entries, bool forward)
    {
        if (forward) entries.Next();
        else entries.Prev();
    }
}
