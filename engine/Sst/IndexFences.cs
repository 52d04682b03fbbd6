using System.Buffers;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// The index block decoded once, at table open, into flat arrays: each data block's last key
/// and handle, plus an 8-byte window of every key taken after the prefix all of them share. A
/// point lookup binary-searches the windows (a compact array) and compares whole keys only on
/// ties, instead of decoding a prefix-compressed index entry per probe.
/// </summary>
internal sealed class IndexFences
{
    private readonly byte[] _keys;
    private readonly int[] _keyStarts; // Count + 1 entries
    private readonly ulong[] _windows;
    private readonly long[] _offsets;
    private readonly int[] _sizes;
    private readonly byte[]? _common; // shared user-key prefix (bytewise comparator only)

    private IndexFences(byte[] keys, int[] keyStarts, ulong[] windows, long[] offsets, int[] sizes, byte[]? common)
    {
        _keys = keys;
        _keyStarts = keyStarts;
        _windows = windows;
        _offsets = offsets;
        _sizes = sizes;
        _common = common;
    }

    public int Count => _offsets.Length;

    public long MemoryUsage => _keys.Length + _keyStarts.Length * 4L + _windows.Length * 8L + _offsets.Length * 12L;

    public BlockHandle Handle(int i) => new(_offsets[i], _sizes[i]);

    /// <summary>The number of the data block starting at <paramref name="offset"/>, or -1.</summary>
    public int IndexOf(long offset)
    {
        int i = Array.BinarySearch(_offsets, offset);
        return i >= 0 ? i : -1;
    }

    public ReadOnlySpan<byte> Key(int i) => _keys.AsSpan(_keyStarts[i], _keyStarts[i + 1] - _keyStarts[i]);

    public static IndexFences Build(Block index, SpanComparer comparer, bool bytewise)
    {
        // Every table's index is decoded when it opens (the startup check opens them all): one
        // pass into pooled scratch, then arrays of the exact size, so no large garbage is left.
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
            var keyBytes = keys.AsSpan(0, at).ToArray();
            var keyStarts = starts.AsSpan(0, n + 1).ToArray();
            var blockOffsets = new long[n];
            var sizes = new int[n];
            for (int i = 0; i < n; i++)
            {
                blockOffsets[i] = offsets[2 * i];
                sizes[i] = (int)offsets[2 * i + 1];
            }
            byte[]? common = null;
            var windows = new ulong[n];
            if (bytewise && n > 0)
            {
                var first = InternalKey.UserKey(keyBytes.AsSpan(keyStarts[0], keyStarts[1] - keyStarts[0]));
                var last = InternalKey.UserKey(keyBytes.AsSpan(keyStarts[n - 1], keyStarts[n] - keyStarts[n - 1]));
                common = first[..first.CommonPrefixLength(last)].ToArray();
                for (int i = 0; i < n; i++)
                    windows[i] = KeyWindow.Read(InternalKey.UserKey(keyBytes.AsSpan(keyStarts[i], keyStarts[i + 1] - keyStarts[i])), common.Length);
            }
            return new IndexFences(keyBytes, keyStarts, windows, blockOffsets, sizes, common);
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
        int first = KeyWindow.LowerBound(_windows, window, strict: false);
        if (first == n || _windows[first] != window) return first;
        int end = KeyWindow.LowerBound(_windows, window, strict: true);
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
