using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// Cursor over one <see cref="Block"/>. Reusable: <see cref="Reset"/> points it at another block
/// without allocating, which keeps table iteration and point lookups free of per-key garbage.
/// Any malformed entry throws <see cref="CorruptionException"/>.
/// </summary>
internal sealed class BlockIterator : InternalIterator
{
    private readonly SpanComparer _cmp;
    private readonly bool _bytewise;
    private Block? _block;
    private byte[] _key = new byte[64];
    private int _keyLength;
    private int _shared;       // bytes the current key took from the one before it
    private int _current;      // offset of the current entry; RestartsOffset when invalid
    private int _next;         // offset just past the current entry
    private int _valueOffset;
    private int _valueLength;
    // Created by the first backward move: most iterators only ever go forward.
    private IntervalEntries? _behind;

    public BlockIterator(SpanComparer cmp)
    {
        _cmp = cmp;
        _bytewise = cmp.IsBytewiseInternal;
    }

    public Block? Block => _block;

    public bool UsesComparer(SpanComparer cmp) => ReferenceEquals(_cmp, cmp);

    /// <summary>Lets go of the block: the iterator is invalid until the next <see cref="Reset"/>.</summary>
    public void Clear()
    {
        _block = null;
        _keyLength = 0;
        _behind?.Clear();
    }

    public void Reset(Block block)
    {
        _behind?.Clear();
        _block = block;
        _current = block.RestartsOffset;
        _next = block.RestartsOffset;
        _keyLength = 0;
    }

    public override bool Valid => _block is not null && _current < _block.RestartsOffset;

    public override ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

    public override ReadOnlySpan<byte> Value => _block!.Data.AsSpan(_valueOffset, _valueLength);

    public int ValueOffset => _valueOffset;

    public int ValueLength => _valueLength;

    public override void SeekToFirst()
    {
        if (_block is null) return;
        SeekToRestart(0);
        ParseNext();
    }

    public override void SeekToLast()
    {
        if (_block is null) return;
        SeekToRestart(_block.NumRestarts - 1);
        ScanRecordingTo(_block.RestartsOffset);
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        if (_block is null) return;
        PrefetchAndScan(Math.Max(0, LastRestartBelow(target, 0, _block.NumRestarts)), target);
    }

    /// <summary>
    /// <see cref="Seek(ReadOnlySpan{byte})"/> for a target that, when <paramref name="windowed"/>, shares
    /// the table's prefix and has <paramref name="window"/> at the offset the block's
    /// <see cref="Block.RestartWindows"/> use: restarts with a smaller window hold smaller keys and
    /// those with a larger window larger ones, so only restarts with an equal window need their key
    /// compared. Otherwise (or without windows) a plain key search.
    /// </summary>
    public void Seek(ReadOnlySpan<byte> target, ulong window, bool windowed)
    {
        if (_block is null) return;
        PrefetchAndScan(SeekRestart(target, window, windowed), target);
    }

    /// <summary>
    /// The restart a <see cref="Seek(ReadOnlySpan{byte}, ulong, bool)"/> to the same arguments
    /// scans from, with the cache lines of its interval requested: the first half of that seek,
    /// finished by <see cref="SeekFromRestart"/>.
    /// </summary>
    public int FindSeekRestart(ReadOnlySpan<byte> target, ulong window, bool windowed)
    {
        var block = _block!;
        int restart = SeekRestart(target, window, windowed);
        PrefetchInterval(block, restart);
        return restart;
    }

    private int SeekRestart(ReadOnlySpan<byte> target, ulong window, bool windowed)
    {
        var windows = _block!.RestartWindows;
        if (!windowed || windows.IsEmpty) return Math.Max(0, LastRestartBelow(target, 0, _block.NumRestarts));
        int first = KeyWindow.LowerBound(windows, window, strict: false);
        int end = first < windows.Length && windows[first] == window ? KeyWindow.LowerBound(windows, window, strict: true) : first;
        return Math.Max(0, LastRestartBelow(target, first, end));
    }

    /// <summary>
    /// Requests the lines of the interval a seek scans, up to <see cref="PrefetchLimit"/> bytes: a
    /// seek stops halfway through its interval on average, and a merging iterator's prefetches
    /// for all its children queue behind each other, so requesting whole intervals seeked slower
    /// than requesting their start (BENCHMARKS.md, the profile of seekrandom).
    /// </summary>
    private static void PrefetchInterval(Block block, int restart)
    {
        int start = block.RestartPoint(restart);
        block.Prefetch(start, Math.Min(start + PrefetchLimit, restart + 1 < block.NumRestarts ? block.RestartPoint(restart + 1) + 64 : block.RestartsOffset));
    }

    private const int PrefetchLimit = 1024;

    /// <summary>
    /// The last restart in [<paramref name="from"/>, <paramref name="to"/>) whose key sorts before
    /// <paramref name="target"/>, by binary search over restart keys; <paramref name="from"/> − 1
    /// when none does.
    /// </summary>
    private int LastRestartBelow(ReadOnlySpan<byte> target, int from, int to)
    {
        int lo = from, hi = to;    // the answer + 1 lies in [lo, hi]
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_cmp.Compare(RestartKey(mid), target) < 0) lo = mid + 1;
            else hi = mid;
        }
        return lo - 1;
    }

    /// <summary>
    /// Positions at the first entry at or after <paramref name="target"/>, scanning from
    /// <paramref name="restart"/>: one that <see cref="FindSeekRestart"/> chose and prefetched, or
    /// (in tests) any restart at or before the target's. A windowed seek may start early (restart
    /// windows of keys outside the table's common prefix are not ordered), so a scan must land
    /// right from any earlier restart.
    /// </summary>
    internal void SeekFromRestart(int restart, ReadOnlySpan<byte> target)
    {
        if (_block is not null) ScanFromRestart(restart, target);
    }

    private void PrefetchAndScan(int restart, ReadOnlySpan<byte> target)
    {
        PrefetchInterval(_block!, restart);
        ScanFromRestart(restart, target);
    }

    /// <summary>
    /// Positions at the first entry at or after <paramref name="target"/>, scanning from restart
    /// <paramref name="restart"/>, whose lines the caller has requested (or, in tests, need not).
    /// </summary>
    private void ScanFromRestart(int restart, ReadOnlySpan<byte> target)
    {
        SeekToRestart(restart);
        if (_bytewise && target.Length >= InternalKey.TrailerSize)
        {
            ScanBytewise(target);
            return;
        }
        while (ParseNext())
        {
            if (_cmp.Compare(Key, target) >= 0) return;
        }
    }

    /// <summary>
    /// <see cref="ScanFromRestart"/> for bytewise user keys, comparing only what the prefix
    /// compression leaves undecided (<see cref="BytewiseSeekStep"/>).
    /// </summary>
    private void ScanBytewise(ReadOnlySpan<byte> target)
    {
        int m = -1;
        while (ParseNext())
        {
            if (_keyLength < InternalKey.TrailerSize) throw new CorruptionException("internal key shorter than its 8-byte trailer");
            if (BytewiseSeekStep.AtOrAfter(Key, _shared, target, _cmp, ref m)) return;
        }
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        Seek(target);
        BackToAtOrBefore(target);
    }

    /// <summary><see cref="SeekForPrev"/> scanning from a restart <see cref="FindSeekRestart"/> chose for the same target.</summary>
    internal void SeekForPrevFromRestart(int restart, ReadOnlySpan<byte> target)
    {
        SeekFromRestart(restart, target);
        BackToAtOrBefore(target);
    }

    /// <summary>From the first entry at or after <paramref name="target"/> (or the block's end) to the last one at or before it.</summary>
    private void BackToAtOrBefore(ReadOnlySpan<byte> target)
    {
        if (!Valid) SeekToLast();
        else if (_cmp.Compare(Key, target) > 0) Prev();
    }

    public override void Next()
    {
        if (!Valid) return;
        _behind?.Clear();
        ParseNext();
    }

    public override void Prev()
    {
        if (!Valid) return;
        int original = _current;
        if (_behind is not null && _behind.TryStepBack(original))
        {
            RestoreBehind();
            return;
        }
        // The restart interval holding the entry before the current one: the last restart point
        // strictly before it (restart offsets are sorted).
        int lo = 0, hi = _block!.NumRestarts - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_block.RestartPoint(mid) < original)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        if (found < 0)
        {
            _current = _block.RestartsOffset;
            _next = _block.RestartsOffset;
            return;
        }
        SeekToRestart(found);
        ScanRecordingTo(original);
    }

    /// <summary>
    /// Parses from the restart just sought up to the entry that ends at <paramref name="end"/>,
    /// remembering every entry on the way, so the <see cref="Prev"/> calls that follow step back
    /// through the interval without parsing it again from its restart each time.
    /// </summary>
    private void ScanRecordingTo(int end)
    {
        var behind = _behind ??= new IntervalEntries();
        // Each entry's offset comes from the one before it: without the request, a block read
        // from memory would wait for its lines one after another.
        _block!.Prefetch(_next, end);
        while (ParseNext())
        {
            behind.Add(_current, _next, _shared, _valueOffset, _valueLength, Key);
            if (_next >= end) return;
        }
        _behind?.Clear();
    }

    /// <summary>Makes the entry <see cref="IntervalEntries"/> stepped back to the current one.</summary>
    private void RestoreBehind()
    {
        var key = _behind!.Restore(out _current, out _next, out _shared, out _valueOffset, out _valueLength);
        if (_key.Length < key.Length + CopyChunk) Array.Resize(ref _key, Math.Max(key.Length + CopyChunk, _key.Length * 2));
        key.CopyTo(_key);
        _keyLength = key.Length;
    }

    private void SeekToRestart(int index)
    {
        _behind?.Clear();
        _keyLength = 0;
        _next = _block!.RestartPoint(index);
        _current = _next;
    }

    /// <summary>The full key stored at a restart point (shared prefix is zero there).</summary>
    private ReadOnlySpan<byte> RestartKey(int index) => RestartKey(_block!, index);

    /// <summary>The whole key at restart point <paramref name="index"/> (restart entries share no prefix).</summary>
    internal static ReadOnlySpan<byte> RestartKey(Block block, int index)
    {
        int limit = block.RestartsOffset;
        int p = ReadLengths(block.Data, block.RestartPoint(index), limit, out uint shared, out uint nonShared, out _);
        if (shared != 0) throw new CorruptionException($"restart point {index} has a shared key prefix");
        if (nonShared > (uint)(limit - p)) throw new CorruptionException($"restart point {index} runs past the block");
        return block.Data.AsSpan(p, (int)nonShared);
    }

    /// <summary>Decodes an entry's three lengths at <paramref name="p"/>; returns the offset just past them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLengths(byte[] data, int p, int limit, out uint shared, out uint nonShared, out uint valueLength)
    {
        // Fast path: the three lengths of short keys and values are one byte each.
        if (p + 3 <= limit && (data[p] | data[p + 1] | data[p + 2]) < 0x80)
        {
            shared = data[p];
            nonShared = data[p + 1];
            valueLength = data[p + 2];
            return p + 3;
        }
        var reader = new SpanReader(data.AsSpan(p, limit - p));
        shared = reader.ReadVarint32();
        nonShared = reader.ReadVarint32();
        valueLength = reader.ReadVarint32();
        return p + reader.Position;
    }

    private const int CopyChunk = 16;

    /// <summary>
    /// Copies the <paramref name="count"/> unshared key bytes at <paramref name="from"/> into the
    /// key after its <paramref name="at"/> shared ones. A short suffix (the usual case: a few key
    /// bytes and the trailer) moves as one 16-byte chunk when both arrays have room for it, which
    /// <see cref="_key"/> always has past the key; the bytes beyond the key are never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CopyKeyBytes(byte[] data, int from, int count, int at)
    {
        var key = _key;
        if (count <= CopyChunk && (uint)from + CopyChunk <= (uint)data.Length && (uint)at + CopyChunk <= (uint)key.Length)
        {
            ref byte source = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(data), from);
            ref byte target = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(key), at);
            Unsafe.WriteUnaligned(ref target,
                Unsafe.ReadUnaligned<Vector128<byte>>(ref source));
            return;
        }
        data.AsSpan(from, count).CopyTo(key.AsSpan(at));
    }

    /// <summary>Decodes the entry at <see cref="_next"/>; false (and invalid) at the end of the block.</summary>
    private bool ParseNext()
    {
        var block = _block!;
        _current = _next;
        int limit = block.RestartsOffset;
        int p = _current;
        if (p >= limit)
        {
            _current = limit;
            return false;
        }
        var data = block.Data;
        p = ReadLengths(data, p, limit, out uint shared, out uint nonShared, out uint valueLength);
        if (shared > (uint)_keyLength) throw new CorruptionException($"entry at block offset {_current} shares {shared} bytes of a {_keyLength}-byte key");
        if ((ulong)nonShared + valueLength > (ulong)(limit - p)) throw new CorruptionException($"entry at block offset {_current} runs past the block");
        int keyLength = (int)(shared + nonShared);
        if (_key.Length < keyLength + CopyChunk) Array.Resize(ref _key, Math.Max(keyLength + CopyChunk, _key.Length * 2));
        CopyKeyBytes(data, p, (int)nonShared, (int)shared);
        _keyLength = keyLength;
        _shared = (int)shared;
        _valueOffset = p + (int)nonShared;
        _valueLength = (int)valueLength;
        _next = _valueOffset + _valueLength;
        return true;
    }
}
