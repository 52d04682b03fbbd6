using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using LatticeKV.Cache;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Sst;

/// <summary>
/// A decoded (decompressed, checksum-verified) block. Immutable and shared: the block cache
/// hands the same instance to every reader. The restart array is validated once here so that
/// iterators only need to bounds-check entries. Its array may come from a pool: see
/// <see cref="PinnedEntry"/> for who may read it, and when.
/// </summary>
internal sealed class Block : PinnedEntry
{
    public Block(byte[] data, int length, BlockArrayPool? pool = null) : base(data, pool) => Parse(data, length);

    /// <summary>Validates the restart array of the first <paramref name="length"/> bytes of <paramref name="data"/> and takes the block's shape from it.</summary>
    private void Parse(byte[] data, int length)
    {
        if (length < 4 || length > data.Length) throw new CorruptionException($"block of {length} bytes is too short");
        uint numRestarts = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(length - 4));
        long restartBytes = (long)numRestarts * 4 + 4;
        if (numRestarts == 0 || restartBytes > length) throw new CorruptionException($"block restart count {numRestarts} does not fit {length} bytes");
        int restartsOffset = length - (int)restartBytes;
        int previous = -1;
        for (int i = 0; i < (int)numRestarts; i++)
        {
            int r = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(restartsOffset + i * 4));
            if (r <= previous || r > restartsOffset || (r == restartsOffset && restartsOffset != 0))
                throw new CorruptionException($"block restart point {i} ({r}) is out of order or out of range");
            previous = r;
            if (numRestarts <= InlineRestarts.Length) _inlineRestarts[i] = r;
        }
        Length = length;
        NumRestarts = (int)numRestarts;
        RestartsOffset = restartsOffset;
        _windowCount = 0; // a decode buffer parsed again keeps its windows' array for the next block
    }

    /// <summary>
    /// A decode buffer (<see cref="NewDecodeBuffer"/>, pinned for the caller) whose first
    /// <paramref name="length"/> bytes now hold a decoded block: validated and shaped as the
    /// constructor does. It stays out of the cache; its last unpin gives it back for reuse.
    /// </summary>
    internal void ParseDecodedInto(int length)
    {
        if (!_isDecodeBuffer) throw new InvalidOperationException("Only a decode buffer is parsed again.");
        Parse(Data, length);
    }

    /// <summary>
    /// A decode buffer of <paramref name="size"/> bytes dressed as a block, to hand a value decoded
    /// into it to a reader as a cached block's value is handed out (its bytes at an offset, pinned):
    /// it holds no parsed entries and never enters the cache. Its last unpin gives it back to
    /// <see cref="DecodeBuffers"/> for the thread's next decoding instead of leaving it to the collector.
    /// </summary>
    internal static Block NewDecodeBuffer(int size) => new(GC.AllocateUninitializedArray<byte>(size));

    private Block(byte[] buffer) : base(buffer, null)
    {
        Length = buffer.Length;
        _isDecodeBuffer = true;
    }

    private readonly bool _isDecodeBuffer;

    /// <summary>A buffer of <see cref="NewDecodeBuffer"/>, released by its last holder, pinned again for the next.</summary>
    internal void ReviveDecodeBuffer()
    {
        if (!_isDecodeBuffer) throw new InvalidOperationException("Only a decode buffer is reused.");
        Revive();
    }

    protected override void Release()
    {
        if (_isDecodeBuffer) DecodeBuffers.Return(this);
        else base.Release();
    }

    /// <summary>Roughly the bytes of this object's fields (a seek reads most of them), for prefetching it.</summary>
    public const int FieldBytes = 128;

    public int Length { get; private set; }

    /// <summary>End of the entries region, where the restart array begins.</summary>
    public int RestartsOffset { get; private set; }

    public int NumRestarts { get; private set; }

    /// <summary>Bytes this block holds in memory, as charged to the block cache.</summary>
    public int Charge => Data.Length + 96 + (_windows?.Length ?? 0) * 8;

    /// <summary>
    /// Data blocks of bytewise tables: the <see cref="KeyWindow"/> of each restart key's user key
    /// at the table's <see cref="IndexFences.WindowOffset"/>, so a seek picks its restart interval
    /// without loading a restart key (a cache miss) per probe. Up to four are kept inside this
    /// object (a 4 KiB block has two or three restarts), whose fields a seek reads anyway. Empty
    /// when not built or when a restart key is malformed (the key-by-key search then reports it).
    /// </summary>
    public ReadOnlySpan<ulong> RestartWindows
        => _windowCount <= InlineWindows.Length
            ? MemoryMarshal.CreateReadOnlySpan(ref Unsafe.AsRef(in _inlineWindows[0]), _windowCount)
            : _windows.AsSpan(0, _windowCount);

    /// <summary>Builds <see cref="RestartWindows"/> while the freshly decompressed block is still in the CPU cache.</summary>
    public void BuildRestartWindows(int offset)
    {
        Span<ulong> windows = NumRestarts <= InlineWindows.Length ? _inlineWindows
            : _windows is { } kept && kept.Length >= NumRestarts ? kept : (_windows = new ulong[NumRestarts]);
        try
        {
            for (int i = 0; i < NumRestarts; i++)
            {
                var key = BlockIterator.RestartKey(this, i);
                if (key.Length < InternalKey.TrailerSize) return;
                windows[i] = KeyWindow.Read(key[..^InternalKey.TrailerSize], offset);
            }
        }
        catch (CorruptionException)
        {
            return;
        }
        _windowCount = NumRestarts;
    }

    private InlineWindows _inlineWindows;
    private ulong[]? _windows;
    private int _windowCount;

    [InlineArray(Length)]
    private struct InlineWindows
    {
        public const int Length = 4;
        private ulong _element;
    }

    /// <summary>
    /// Hints the CPU to load the cache lines of bytes [<paramref name="from"/>, <paramref name="to"/>):
    /// a seek scans a whole restart interval of a block that is usually not in the CPU cache,
    /// and asking for every line at once overlaps their memory latencies.
    /// </summary>
    public void Prefetch(int from, int to)
    {
        from = Math.Max(0, from);
        to = Math.Min(to, Length);
        if (from < to) CpuCache.Prefetch(Data, from, to);
    }

    /// <summary>
    /// Offset of restart point <paramref name="index"/>. A block with up to four restarts (a 4 KiB
    /// data block has two or three) keeps them in this object: the restart array sits at the
    /// block's end, a cache line a seek would otherwise load for these few bytes alone.
    /// </summary>
    public int RestartPoint(int index)
        => NumRestarts <= InlineRestarts.Length ? _inlineRestarts[index] : (int)BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan(RestartsOffset + index * 4));

    private InlineRestarts _inlineRestarts;

    [InlineArray(Length)]
    private struct InlineRestarts
    {
        public const int Length = 4;
        private int _element;
    }
}
