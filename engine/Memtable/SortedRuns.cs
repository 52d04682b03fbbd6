using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// An immutable sorted array of memtable entries. Alongside each address it keeps an 8-byte
/// window of the user key taken after the prefix every key of the memtable shares, so most
/// comparisons while sorting and seeking never leave the array. Its arrays live outside the
/// managed heap and are freed by its <see cref="SortedRuns"/> (see there when).
/// </summary>
internal sealed class SortedRun(NativeBuffer<long> addresses, NativeBuffer<ulong> windows, int windowOffset)
{
    internal NativeBuffer<long> AddressBuffer { get; } = addresses;

    internal NativeBuffer<ulong> WindowBuffer { get; } = windows;

    public Span<long> Addresses => AddressBuffer.Span;

    /// <summary>Key windows at <see cref="WindowOffset"/> (all zero when the comparator is not bytewise).</summary>
    public Span<ulong> Windows => WindowBuffer.Span;

    public int WindowOffset { get; } = windowOffset;

    public int Length => AddressBuffer.Length;

    /// <summary>Whether a reader may hold this run (it was in the run array <see cref="SortedRuns.Get"/> returned). Guarded by the lock of its <see cref="SortedRuns"/>.</summary>
    internal bool Published { get; set; }

    /// <summary>Index of the first entry at or after the internal key <paramref name="target"/>.</summary>
    public int LowerBound(Arena arena, ReadOnlySpan<byte> target, InternalKeyComparator cmp, bool bytewise)
    {
        if (Length == 0) return 0;
        bool useWindow = false;
        ulong targetWindow = 0;
        if (bytewise)
        {
            // Windows compare correctly only between keys sharing the common prefix.
            var common = MemEntry.UserKey(arena, Addresses[0])[..WindowOffset];
            var user = InternalKey.UserKey(target);
            if (!user.StartsWith(common)) return user.SequenceCompareTo(common) < 0 ? 0 : Length;
            useWindow = true;
            targetWindow = KeyWindow.Read(user, WindowOffset);
        }
        var addresses = Addresses;
        var windows = Windows;
        int lo = 0, hi = Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            int c;
            if (useWindow && windows[mid] != targetWindow) c = windows[mid] < targetWindow ? -1 : 1;
            else c = cmp.Compare(MemEntry.Key(arena, addresses[mid]), target);
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    internal void Free()
    {
        AddressBuffer.Dispose();
        WindowBuffer.Dispose();
    }

    internal void Abandon()
    {
        AddressBuffer.Abandon();
        WindowBuffer.Abandon();
    }
}

/// <summary>
/// The memtable's ordered view, built only when something needs order (an iterator or a flush).
/// Entries not yet covered (found by walking each arena chunk from where the last walk stopped
/// to its published end) are sorted into a new run; runs merge whenever the newer one is at
/// least a quarter the size of the one before, so there are O(log n) runs and each entry is
/// re-merged O(log n) times. Readers take the published run array; building is serialized.
/// Every array lives outside the managed heap (<see cref="NativeBuffer{T}"/>): a flush sorts the
/// whole memtable, and arrays of its size would otherwise be left on the large object heap by
/// every memtable until a full collection. Scratch is freed at once, and so is a run merged away
/// before any reader saw it; the runs published last are freed at <see cref="Release"/>; a run
/// merged away after it was published (a reader may still hold it) is left to the collector.
/// </summary>
internal sealed class SortedRuns(Arena arena, InternalKeyComparator cmp, bool bytewise, Func<int> commonPrefix)
{
    /// <summary>A run's bytes an entry: its address and its key window.</summary>
    public const int BytesPerEntry = sizeof(long) + sizeof(ulong);

    private readonly Lock _lock = new();
    // Guarded by _lock; the array itself is never modified once published.
    private SortedRun[] _runs = [];
    private int _covered;
    private int[] _walked = new int[8]; // per arena chunk, where the last walk stopped
    // Guarded by _lock: the runs built or merged and not merged away since, whose arrays Release frees.
    private readonly List<SortedRun> _built = [];

    public long MemoryUsage
    {
        get
        {
            long total = 0;
            foreach (var r in Volatile.Read(ref _runs)) total += (long)r.Length * BytesPerEntry;
            return total;
        }
    }

    /// <summary>Runs whose arrays <see cref="Release"/> would free: the published ones, none merged away.</summary>
    internal int RetainedRunCount
    {
        get { lock (_lock) return _built.Count; }
    }

    /// <summary>The runs whose arrays <see cref="Release"/> would free (for tests).</summary>
    internal IReadOnlyList<SortedRun> RetainedRuns
    {
        get { lock (_lock) return [.. _built]; }
    }

    /// <summary>Runs published last (what a new iterator reads).</summary>
    internal int PublishedRunCount => Volatile.Read(ref _runs).Length;

    /// <summary>Runs covering at least the first <paramref name="count"/> entries published.</summary>
    public SortedRun[] Get(int count)
    {
        lock (_lock)
        {
            if (_covered >= count) return _runs;
            using var addresses = Walk(count - _covered, out int walked);
            if (walked == 0) return _runs;
            // Read after the walk: the writer shrinks the shared prefix before it publishes an
            // entry, so every entry walked shares this many leading bytes.
            int prefixOffset = commonPrefix();
            var list = new List<SortedRun>(_runs) { Build(addresses.Span[..walked], prefixOffset) };
            while (list.Count >= 2 && list[^2].Length <= 4 * list[^1].Length)
            {
                var merged = Merge(list[^2], list[^1]);
                list.RemoveRange(list.Count - 2, 2);
                list.Add(merged);
            }
            foreach (var run in list) run.Published = true;
            _runs = [.. list];
            _covered += walked;
            return _runs;
        }
    }

    /// <summary>
    /// Frees every run's arrays. Only when no reader, iterator or flush can reach the memtable
    /// any more; the runs must not be used afterwards.
    /// </summary>
    public void Release()
    {
        lock (_lock)
        {
            foreach (var run in _built) run.Free();
            _built.Clear();
            _runs = [];
        }
    }

    /// <summary>
    /// Addresses of the entries published since the last walk, in a buffer the caller frees
    /// (the first <paramref name="n"/>). The ends are read after the caller read its count, so every counted entry is
    /// found (and perhaps some published since, which is allowed).
    /// </summary>
    private NativeBuffer<long> Walk(int expected, out int n)
    {
        var ends = arena.PublishedEnds;
        if (_walked.Length < ends.Length) Array.Resize(ref _walked, ends.Length);
        // Sized for the counted entries (an iterator after a few writes walks a few), grown for
        // any published since.
        var buffer = new NativeBuffer<long>(Math.Max(16, expected));
        var addresses = buffer.Span;
        n = 0;
        for (int c = 0; c < ends.Length; c++)
        {
            int end = Volatile.Read(ref ends[c]);
            for (int off = _walked[c]; off < end;)
            {
                long address = ((long)c << 32) | (uint)off;
                if (n == addresses.Length)
                {
                    buffer = buffer.Grow(n * 2, n);
                    addresses = buffer.Span;
                }
                addresses[n++] = address;
                off += MemEntry.Size(arena, address);
            }
            if (end > _walked[c]) _walked[c] = end;
        }
        return buffer;
    }

    private SortedRun Build(ReadOnlySpan<long> walked, int offset)
    {
        int n = walked.Length;
        using var itemBuffer = new NativeBuffer<WindowedAddress>(n);
        var items = itemBuffer.Span;
        for (int i = 0; i < n; i++)
        {
            long a = walked[i];
            items[i] = new WindowedAddress(bytewise ? KeyWindow.Read(MemEntry.UserKey(arena, a), offset) : 0, a);
        }
        var comparer = new ItemComparer(arena, cmp);
        if (bytewise && n >= WindowSort.RadixThreshold)
        {
            using var scratch = new NativeBuffer<WindowedAddress>(n);
            WindowSort.Sort(items, scratch.Span, comparer);
        }
        else
        {
            // Without windows (all zero) the comparator decides every comparison.
            items.Sort(comparer);
        }
        var run = NewRun(n, offset);
        var addresses = run.Addresses;
        var windows = run.Windows;
        for (int i = 0; i < n; i++)
        {
            addresses[i] = items[i].Address;
            windows[i] = items[i].Window;
        }
        return run;
    }

    /// <summary>A run of <paramref name="length"/> entries, owned (in <see cref="_built"/>) until <see cref="Release"/> or until merged away.</summary>
    private SortedRun NewRun(int length, int offset)
    {
        var run = new SortedRun(new NativeBuffer<long>(length), new NativeBuffer<ulong>(length), offset);
        _built.Add(run);
        return run;
    }

    /// <summary>
    /// Lets go of a run merged away: freed now if no reader was given it, else left to the
    /// collector, which frees it once the last reader holding it is gone. Keeping such runs
    /// until <see cref="Release"/> instead would hold several times the memtable's entries'
    /// worth when it is iterated while written (its runs are merged many times over).
    /// </summary>
    private void Retire(SortedRun run)
    {
        _built.Remove(run);
        if (run.Published) run.Abandon();
        else run.Free();
    }

    private SortedRun Merge(SortedRun a, SortedRun b)
    {
        // Keys only lose common prefix over time; windows taken at different offsets are re-read.
        int offset = Math.Min(a.WindowOffset, b.WindowOffset);
        using var rereadA = a.WindowOffset == offset ? null : ReadWindows(a, offset);
        using var rereadB = b.WindowOffset == offset ? null : ReadWindows(b, offset);
        ReadOnlySpan<ulong> pa = rereadA is null ? a.Windows : rereadA.Span;
        ReadOnlySpan<ulong> pb = rereadB is null ? b.Windows : rereadB.Span;
        ReadOnlySpan<long> aa = a.Addresses, ba = b.Addresses;
        var run = NewRun(a.Length + b.Length, offset);
        var addresses = run.Addresses;
        var windows = run.Windows;
        int i = 0, j = 0, k = 0;
        while (i < a.Length && j < b.Length)
        {
            int c = pa[i] != pb[j] ? pa[i].CompareTo(pb[j]) : cmp.Compare(MemEntry.Key(arena, aa[i]), MemEntry.Key(arena, ba[j]));
            if (c <= 0)
            {
                addresses[k] = aa[i];
                windows[k++] = pa[i++];
            }
            else
            {
                addresses[k] = ba[j];
                windows[k++] = pb[j++];
            }
        }
        for (; i < a.Length; i++, k++)
        {
            addresses[k] = aa[i];
            windows[k] = pa[i];
        }
        for (; j < b.Length; j++, k++)
        {
            addresses[k] = ba[j];
            windows[k] = pb[j];
        }
        Retire(a);
        Retire(b);
        return run;
    }

    /// <summary>The windows of <paramref name="run"/> at <paramref name="offset"/>, in a buffer the caller frees.</summary>
    private NativeBuffer<ulong> ReadWindows(SortedRun run, int offset)
    {
        var buffer = new NativeBuffer<ulong>(run.Length);
        if (!bytewise) return buffer; // zeroed
        var windows = buffer.Span;
        var addresses = run.Addresses;
        for (int i = 0; i < windows.Length; i++) windows[i] = KeyWindow.Read(MemEntry.UserKey(arena, addresses[i]), offset);
        return buffer;
    }

    private readonly struct ItemComparer(Arena arena, InternalKeyComparator cmp) : IComparer<WindowedAddress>
    {
        public int Compare(WindowedAddress x, WindowedAddress y)
        {
            if (x.Window != y.Window) return x.Window < y.Window ? -1 : 1;
            return cmp.Compare(MemEntry.Key(arena, x.Address), MemEntry.Key(arena, y.Address));
        }
    }
}

/// <summary>Cursor over one <see cref="SortedRun"/>.</summary>
internal sealed class RunIterator(Arena arena, SortedRun run, InternalKeyComparator cmp, bool bytewise) : InternalIterator
{
    // Entries ahead of the current one whose first bytes Next asks the CPU to load: far enough
    // for a memory load to finish in the meantime, near enough to stay in cache until read.
    private const int PrefetchDistance = 8;
    private const int PrefetchBytes = 192;

    private int _pos = run.Length;

    public override bool Valid => _pos >= 0 && _pos < run.Length;

    public override ReadOnlySpan<byte> Key => MemEntry.Key(arena, run.Addresses[_pos]);

    public override ReadOnlySpan<byte> Value => MemEntry.Value(arena, run.Addresses[_pos]);

    public override void SeekToFirst() => _pos = 0;

    public override void SeekToLast() => _pos = run.Length - 1;

    public override void Next()
    {
        _pos++;
        // A flush reads every entry in key order, scattered over the arena: ask for one a few
        // entries ahead so that its load overlaps the work on this one.
        int ahead = _pos + PrefetchDistance;
        if (ahead < run.Length) arena.Prefetch(run.Addresses[ahead], PrefetchBytes);
    }

    public override void Prev() => _pos--;

    public override void Seek(ReadOnlySpan<byte> target) => _pos = run.LowerBound(arena, target, cmp, bytewise);

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        _pos = run.LowerBound(arena, target, cmp, bytewise);
        if (_pos >= run.Length || cmp.Compare(Key, target) > 0) _pos--;
    }
}
