using System.Buffers;
using System.Runtime.InteropServices;
using LatticeKV.Coding;
using LatticeKV.Io;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// The index block decoded once, at table open, into flat arrays: each data block's last key
/// and handle, plus an 8-byte window of every key taken after the prefix all of them share. A
/// point lookup binary-searches the windows (a compact array) and compares whole keys only on
/// ties, instead of decoding a prefix-compressed index entry per probe.
/// The arrays live in one <see cref="NativeBuffer{T}"/>, outside the managed heap, freed by
/// <see cref="Dispose"/> when the table reader closes: a table's fences are as large as its
/// index, and on the large-object heap those of every table a compaction deleted stayed
/// resident until a full collection. The owner disposes them only once no reader can use them
/// (the table cache's reference count); <see cref="Count"/> and <see cref="WindowOffset"/>
/// stay readable after.
/// </summary>
internal sealed class IndexFences : IDisposable
{
    // Layout of _memory: windows and offsets (8 bytes each, first so that they are aligned),
    // then sizes and key starts (4 bytes each; Count + 1 starts), then the keys.
    private readonly NativeBuffer<byte> _memory;
    private readonly int _count;
    private readonly int _keysLength;
    private readonly byte[]? _common; // shared user-key prefix (bytewise comparator only)

    private IndexFences(int count, int keysLength, byte[]? common)
    {
        _count = count;
        _keysLength = keysLength;
        _common = common;
        _memory = new NativeBuffer<byte>(checked(count * 24 + 4 + keysLength));
    }

    public int Count => _count;

    public long MemoryUsage => _memory.Length;

    private Span<ulong> Windows => MemoryMarshal.Cast<byte, ulong>(_memory.Span[..(_count * 8)]);

    private Span<long> Offsets => MemoryMarshal.Cast<byte, long>(_memory.Span.Slice(_count * 8, _count * 8));

    private Span<int> Sizes => MemoryMarshal.Cast<byte, int>(_memory.Span.Slice(_count * 16, _count * 4));

    private Span<int> KeyStarts => MemoryMarshal.Cast<byte, int>(_memory.Span.Slice(_count * 20, _count * 4 + 4));

    private Span<byte> Keys => _memory.Span.Slice(_count * 24 + 4, _keysLength);

    public BlockHandle Handle(int i) => new(Offsets[i], Sizes[i]);

    /// <summary>The number of the data block starting at <paramref name="offset"/>, or -1.</summary>
    public int IndexOf(long offset)
    {
        int i = ((ReadOnlySpan<long>)Offsets).BinarySearch(offset);
        return i >= 0 ? i : -1;
    }

    public ReadOnlySpan<byte> Key(int i)
    {
        var starts = KeyStarts;
        return Keys[starts[i]..starts[i + 1]];
    }

    /// <summary>Frees the arrays. Only when no reader can use them any more; a second call does nothing.</summary>
    public void Dispose() => _memory.Dispose();

    public static IndexFences Build(Block index, SpanComparer comparer, bool bytewise)
    {
        // Every table's index is decoded when it opens (the startup check opens them all): one
        // pass into pooled scratch, then one native buffer of the exact size, so no large
        // garbage is left.
        var it = new BlockIterator(comparer);
        it.Reset(index);
        var keys = ArrayPool<byte>.Shared.Rent(Math.Max(1024, index.Length * 2));
        var starts = ArrayPool<int>.Shared.Rent(1024);
        var offsets = ArrayPool<long>.Shared.Rent(1024);
        try
        {
            int n = 0, at = 0;
            for (it.SeekToFirst(); it.Valid; it.Next(), n++)
            {
                var key = it.Key;
                if (!InternalKey.IsWellFormed(key)) throw new CorruptionException("malformed index key");
                if (at + key.Length > keys.Length) Grow(ref keys, at + key.Length);
                if (n + 2 > starts.Length) Grow(ref starts, n + 2);
                if (2 * n + 2 > offsets.Length) Grow(ref offsets, 2 * n + 2);
                starts[n] = at;
                key.CopyTo(keys.AsSpan(at));
                at += key.Length;
                var handle = BlockHandle.Decode(it.Value);
                offsets[2 * n] = handle.Offset;
                offsets[2 * n + 1] = handle.Size;
            }
            starts[n] = at;
            var keyBytes = keys.AsSpan(0, at);
            var keyStarts = starts.AsSpan(0, n + 1);
            byte[]? common = null;
            if (bytewise && n > 0)
            {
                var first = InternalKey.UserKey(keyBytes[keyStarts[0]..keyStarts[1]]);
                var last = InternalKey.UserKey(keyBytes[keyStarts[n - 1]..keyStarts[n]]);
                common = first[..first.CommonPrefixLength(last)].ToArray();
            }
            var fences = new IndexFences(n, at, common);
            keyBytes.CopyTo(fences.Keys);
            keyStarts.CopyTo(fences.KeyStarts);
            var blockOffsets = fences.Offsets;
            var sizes = fences.Sizes;
            var windows = fences.Windows;
            for (int i = 0; i < n; i++)
            {
                blockOffsets[i] = offsets[2 * i];
                sizes[i] = (int)offsets[2 * i + 1];
                if (common is not null) windows[i] = KeyWindow.Read(InternalKey.UserKey(keyBytes[keyStarts[i]..keyStarts[i + 1]]), common.Length);
            }
            return fences;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(starts);
            ArrayPool<long>.Shared.Return(offsets);
        }
    }

    /// <summary>Replaces <paramref name="array"/> (rented) with a rented one of at least <paramref name="needed"/> elements holding its contents.</summary>
    private static void Grow<T>(ref T[] array, int needed)
    {
        var bigger = ArrayPool<T>.Shared.Rent(Math.Max(needed, array.Length * 2));
        array.CopyTo(bigger, 0);
        ArrayPool<T>.Shared.Return(array);
        array = bigger;
    }

    /// <summary>
    /// Offset in user keys of the windows (the length of the prefix every key of the table
    /// shares), or -1 when the table is not ordered bytewise. Data blocks' restart windows
    /// (<see cref="Block.RestartWindows"/>) are taken at the same offset.
    /// </summary>
    public int WindowOffset => _common?.Length ?? -1;

    /// <summary>Index of the first block whose last key is at or after <paramref name="target"/> (an internal key); Count when none.</summary>
    public int LowerBound(ReadOnlySpan<byte> target, InternalKeyComparator cmp) => LowerBound(target, cmp, out _, out _);

    /// <summary>
    /// <see cref="LowerBound(ReadOnlySpan{byte}, InternalKeyComparator)"/>, also giving the
    /// target's window at <see cref="WindowOffset"/> when the target shares the table's prefix
    /// (<paramref name="windowed"/>), for the restart search inside the block.
    /// </summary>
    public int LowerBound(ReadOnlySpan<byte> target, InternalKeyComparator cmp, out ulong window, out bool windowed)
    {
        window = 0;
        windowed = false;
        int n = Count;
        if (n == 0) return 0;
        if (_common is null) return LowerBoundByKey(target, cmp, 0, n);
        var user = InternalKey.UserKey(target);
        if (!user.StartsWith(_common)) return user.SequenceCompareTo(_common) < 0 ? 0 : n;
        window = KeyWindow.Read(user, _common.Length);
        windowed = true;
        // Windows order blocks except among equal windows, where whole keys decide.
        var windows = Windows;
        int first = KeyWindow.LowerBound(windows, window, strict: false);
        if (first == n || windows[first] != window) return first;
        int end = KeyWindow.LowerBound(windows, window, strict: true);
        return LowerBoundByKey(target, cmp, first, end);
    }

    private int LowerBoundByKey(ReadOnlySpan<byte> target, InternalKeyComparator cmp, int lo, int hi)
    {
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (cmp.Compare(Key(mid), target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
