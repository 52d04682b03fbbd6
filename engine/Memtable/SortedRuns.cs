using System.Buffers;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// An immutable sorted array of memtable entries. Alongside each address it keeps an 8-byte
/// window of the user key taken after the prefix every key of the memtable shares, so most
/// comparisons while sorting and seeking never leave the array. The arrays are pooled and may
/// be longer than the run: only the first <see cref="Length"/> elements belong to it.
/// </summary>
internal sealed class SortedRun(long[] addresses, ulong[] windows, int length, int windowOffset)
{
    public long[] Addresses { get; } = addresses;

    /// <summary>Key windows at <see cref="WindowOffset"/> (all zero when the comparator is not bytewise).</summary>
    public ulong[] Windows { get; } = windows;

    public int WindowOffset { get; } = windowOffset;

    public int Length { get; } = length;
}

/// <summary>
/// The memtable's ordered view, built only when something needs order (an iterator or a flush).
/// Entries not yet covered (found by walking each arena chunk from where the last walk stopped
/// to its published end) are sorted into a new run; runs merge whenever the newer one is at
/// least a quarter the size of the one before, so there are O(log n) runs and each entry is
/// re-merged O(log n) times. Readers take the published run array; building is serialized.
/// Every array is rented from <see cref="ArrayPool{T}.Shared"/>: a flush sorts the whole
/// memtable, and arrays of its size would otherwise be left on the large object heap by every
/// memtable. Scratch goes back at once; the arrays of the runs published last go back at
/// <see cref="Release"/>; runs merged away (a reader may still hold them) are left to the collector.
/// </summary>
internal sealed class SortedRuns(Arena arena, InternalKeyComparator cmp, bool bytewise, Func<int> commonPrefix)
{
    private readonly Lock _lock = new();
    // Guarded by _lock; the array itself is never modified once published.
    private SortedRun[] _runs = [];
    private int _covered;
    private int[] _walked = new int[8]; // per arena chunk, where the last walk stopped
    // Guarded by _lock: the runs built or merged and not merged away since, whose arrays Release returns.
    private readonly List<SortedRun> _built = [];

    public long MemoryUsage
    {
        get
        {
            long total = 0;
            foreach (var r in Volatile.Read(ref _runs)) total += r.Length * 16L;
            return total;
        }
    }

    /// <summary>Runs whose arrays <see cref="Release"/> would return: the published ones, none merged away.</summary>
    internal int RetainedRunCount
    {
        get { lock (_lock) return _built.Count; }
    }

    /// <summary>Runs published last (what a new iterator reads).</summary>
    internal int PublishedRunCount => Volatile.Read(ref _runs).Length;

    /// <summary>Runs covering at least the first <paramref name="count"/> entries published.</summary>
    public SortedRun[] Get(int count)
    {
        lock (_lock)
        {
            if (_covered >= count) return _runs;
            var addresses = Walk(count - _covered, out int walked);
            try
            {
                if (walked == 0) return _runs;
                // Read after the walk: the writer shrinks the shared prefix before it publishes an
                // entry, so every entry walked shares this many leading bytes.
                int prefixOffset = commonPrefix();
                var list = new List<SortedRun>(_runs) { Build(addresses, walked, prefixOffset) };
                while (list.Count >= 2 && list[^2].Length <= 4 * list[^1].Length)
                {
                    var merged = Merge(list[^2], list[^1]);
                    list.RemoveRange(list.Count - 2, 2);
                    list.Add(merged);
                }
                _runs = [.. list];
                _covered += walked;
                return _runs;
            }
            finally
            {
                ArrayPool<long>.Shared.Return(addresses);
            }
        }
    }

    /// <summary>
    /// Hands every run's arrays back to the pool. Only when no reader, iterator or flush can
    /// reach the memtable any more; the runs must not be used afterwards.
    /// </summary>
    public void Release()
    {
        lock (_lock)
        {
            foreach (var run in _built)
            {
                ArrayPool<long>.Shared.Return(run.Addresses);
                ArrayPool<ulong>.Shared.Return(run.Windows);
            }
            _built.Clear();
            _runs = [];
        }
    }

    /// <summary>
    /// Addresses of the entries published since the last walk, in a rented array the caller
    /// returns. The ends are read after the caller read its count, so every counted entry is
    /// found (and perhaps some published since, which is allowed).
    /// </summary>
    private long[] Walk(int expected, out int n)
    {
        var ends = arena.PublishedEnds;
        if (_walked.Length < ends.Length) Array.Resize(ref _walked, ends.Length);
        // Sized for the counted entries (an iterator after a few writes walks a few), grown for
        // any published since.
        var addresses = ArrayPool<long>.Shared.Rent(Math.Max(16, expected));
        n = 0;
        for (int c = 0; c < ends.Length; c++)
        {
            int end = Volatile.Read(ref ends[c]);
            for (int off = _walked[c]; off < end;)
            {
                long address = ((long)c << 32) | (uint)off;
                if (n == addresses.Length)
                {
                    var grown = ArrayPool<long>.Shared.Rent(n * 2);
                    addresses.AsSpan(0, n).CopyTo(grown);
                    ArrayPool<long>.Shared.Return(addresses);
                    addresses = grown;
                }
                addresses[n++] = address;
                off += MemEntry.Size(arena, address);
            }
            if (end > _walked[c]) _walked[c] = end;
        }
        return addresses;
    }

    private SortedRun Build(long[] walked, int n, int offset)
    {
        var items = ArrayPool<Item>.Shared.Rent(n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                long a = walked[i];
                items[i] = new Item(bytewise ? KeyWindow.Read(MemEntry.UserKey(arena, a), offset) : 0, a);
            }
            items.AsSpan(0, n).Sort(new ItemComparer(arena, cmp));
            var run = NewRun(n, offset);
            for (int i = 0; i < n; i++)
            {
                run.Addresses[i] = items[i].Address;
                run.Windows[i] = items[i].Window;
            }
            return run;
        }
        finally
        {
            ArrayPool<Item>.Shared.Return(items);
        }
    }

    /// <summary>A run of <paramref name="length"/> entries in rented arrays, owned until <see cref="Release"/>.</summary>
    private SortedRun NewRun(int length, int offset)
    {
        var run = new SortedRun(ArrayPool<long>.Shared.Rent(length), ArrayPool<ulong>.Shared.Rent(length), length, offset);
        _built.Add(run);
        return run;
    }

    private SortedRun Merge(SortedRun a, SortedRun b)
    {
        // Keys only lose common prefix over time; windows taken at different offsets are re-read.
        int offset = Math.Min(a.WindowOffset, b.WindowOffset);
        var pa = a.WindowOffset == offset ? a.Windows : ReadWindows(a, offset);
        var pb = b.WindowOffset == offset ? b.Windows : ReadWindows(b, offset);
        try
        {
            var run = NewRun(a.Length + b.Length, offset);
            // The inputs are left to the collector, not kept for Release: a reader may still hold
            // them, and a memtable iterated while written merges its runs many times over, so
            // keeping every merged-away run until the memtable goes would hold several times its
            // entries' worth of arrays.
            _built.Remove(a);
            _built.Remove(b);
            var addresses = run.Addresses;
            var windows = run.Windows;
            int i = 0, j = 0, k = 0;
            while (i < a.Length && j < b.Length)
            {
                int c = pa[i] != pb[j] ? pa[i].CompareTo(pb[j]) : cmp.Compare(MemEntry.Key(arena, a.Addresses[i]), MemEntry.Key(arena, b.Addresses[j]));
                if (c <= 0)
                {
                    addresses[k] = a.Addresses[i];
                    windows[k++] = pa[i++];
                }
                else
                {
                    addresses[k] = b.Addresses[j];
                    windows[k++] = pb[j++];
                }
            }
            for (; i < a.Length; i++, k++)
            {
                addresses[k] = a.Addresses[i];
                windows[k] = pa[i];
            }
            for (; j < b.Length; j++, k++)
            {
                addresses[k] = b.Addresses[j];
                windows[k] = pb[j];
            }
            return run;
        }
        finally
        {
            if (!ReferenceEquals(pa, a.Windows)) ArrayPool<ulong>.Shared.Return(pa);
            if (!ReferenceEquals(pb, b.Windows)) ArrayPool<ulong>.Shared.Return(pb);
        }
    }

    /// <summary>The windows of <paramref name="run"/> at <paramref name="offset"/>, in a rented array the caller returns.</summary>
    private ulong[] ReadWindows(SortedRun run, int offset)
    {
        var p = ArrayPool<ulong>.Shared.Rent(run.Length);
        if (bytewise)
            for (int i = 0; i < run.Length; i++) p[i] = KeyWindow.Read(MemEntry.UserKey(arena, run.Addresses[i]), offset);
        else
            Array.Clear(p, 0, run.Length);
        return p;
    }

    private readonly record struct Item(ulong Window, long Address);

    private readonly struct ItemComparer(Arena arena, InternalKeyComparator cmp) : IComparer<Item>
    {
        public int Compare(Item x, Item y)
        {
            if (x.Window != y.Window) return x.Window < y.Window ? -1 : 1;
            return cmp.Compare(MemEntry.Key(arena, x.Address), MemEntry.Key(arena, y.Address));
        }
    }
}

/// <summary>Cursor over one <see cref="SortedRun"/>.</summary>
internal sealed class RunIterator(Arena arena, SortedRun run, InternalKeyComparator cmp, bool bytewise) : InternalIterator
{
    private int _pos = run.Length;

    public override bool Valid => _pos >= 0 && _pos < run.Length;

    public override ReadOnlySpan<byte> Key => MemEntry.Key(arena, run.Addresses[_pos]);

    public override ReadOnlySpan<byte> Value => MemEntry.Value(arena, run.Addresses[_pos]);

    public override void SeekToFirst() => _pos = 0;

    public override void SeekToLast() => _pos = run.Length - 1;

    public override void Next() => _pos++;

    public override void Prev() => _pos--;

    public override void Seek(ReadOnlySpan<byte> target) => _pos = LowerBound(target);

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        _pos = LowerBound(target);
        if (_pos >= run.Length || cmp.Compare(Key, target) > 0) _pos--;
    }

    /// <summary>Index of the first entry at or after <paramref name="target"/>.</summary>
    private int LowerBound(ReadOnlySpan<byte> target)
    {
        if (run.Length == 0) return 0;
        bool useWindow = false;
        ulong targetWindow = 0;
        if (bytewise)
        {
            // Windows compare correctly only between keys sharing the common prefix.
            var common = MemEntry.UserKey(arena, run.Addresses[0])[..run.WindowOffset];
            var user = InternalKey.UserKey(target);
            if (!user.StartsWith(common)) return user.SequenceCompareTo(common) < 0 ? 0 : run.Length;
            useWindow = true;
            targetWindow = KeyWindow.Read(user, run.WindowOffset);
        }
        int lo = 0, hi = run.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            int c;
            if (useWindow && run.Windows[mid] != targetWindow) c = run.Windows[mid] < targetWindow ? -1 : 1;
            else c = cmp.Compare(MemEntry.Key(arena, run.Addresses[mid]), target);
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
