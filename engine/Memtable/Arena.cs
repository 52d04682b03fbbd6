using System.Runtime.CompilerServices;
using LatticeKV.Io;

namespace LatticeKV.Memtable;

/// <summary>
/// Bump allocator for the memtable: entries live in a few large chunks instead of one object
/// per key. An address packs the chunk index (high 32 bits) and the offset (low 32 bits).
/// Allocations are not padded: entries are immutable once published, so nothing needs aligned
/// atomic access, and padding would cost a small entry (a delete) up to a sixth of its size.
/// The arena doubles as the memtable's list of entries: each chunk publishes how far its entries
/// reach, so a reader walks the published entries without a separate address list (8 bytes a
/// key: 6% of a 16-byte key with a 100-byte value).
/// Chunks live outside the managed heap (<see cref="NativeBuffer{T}"/>) and are freed by
/// <see cref="Release"/> when the memtable's last reference goes: as managed arrays each chunk
/// sat on the large object heap, and those a flush let go stayed resident until a full
/// collection (or, pooled for the next memtable, for good). A chunk of 2 MiB or more is mapped
/// in transparent huge pages where the system allows, so the writer faults it in 2 MiB at a time,
/// and pages of a chunk it never reaches are never resident. A memtable's first chunks are
/// smaller (<see cref="FirstChunkSize"/>, each next one four times larger, up to the chunk
/// size), so a family that holds a few keys does not fault in a whole huge page per memtable.
/// Single writer; readers only dereference addresses the writer has published.
/// </summary>
internal sealed class Arena
{
    /// <summary>Chunk indexes must fit 20 bits (the memtable's hash index packs addresses in 52 bits).</summary>
    public const int MaxChunks = 1 << 20;

    /// <summary>The size of a memtable's first chunk (or the chunk size, when smaller).</summary>
    public const int FirstChunkSize = 64 * 1024;

    private readonly int _chunkSize;
    // Replaced (never mutated in place) when it grows; old references stay valid for readers.
    private NativeBuffer<byte>[] _chunks = new NativeBuffer<byte>[8];
    // Per chunk, the end of its last published entry; replaced with _chunks, and after it, so a
    // reader that reads this first then _chunks always finds the chunks it names.
    private int[] _ends = new int[8];
    private int _chunkCount;
    private int _current = -1;
    private int _currentSize;
    private int _offset;
    private long _memoryUsage;
    private long _used;

    public Arena(int chunkSize)
    {
        _chunkSize = chunkSize;
    }

    /// <summary>Bytes of chunks allocated.</summary>
    public long MemoryUsage => Volatile.Read(ref _memoryUsage);

    /// <summary>Bytes handed out to entries (what the flush trigger counts, so small write buffers work with large chunks).</summary>
    public long UsedBytes => Volatile.Read(ref _used);

    public long Allocate(int size)
    {
        Volatile.Write(ref _used, _used + size);
        if (size > _chunkSize / 4)
        {
            // A large entry gets its own chunk so the current chunk's free space is not wasted.
            int own = AddChunk(size);
            return (long)own << 32;
        }
        if (_current < 0 || _offset + size > _currentSize)
        {
            // Fourfold growth from the first chunk: a chunk too small for this entry is skipped over.
            int next = _current < 0 ? Math.Min(FirstChunkSize, _chunkSize) : (int)Math.Min((long)_currentSize * 4, _chunkSize);
            while (next < size) next = (int)Math.Min((long)next * 4, _chunkSize);
            _current = AddChunk(next);
            _currentSize = next;
            _offset = 0;
        }
        long address = ((long)_current << 32) | (uint)_offset;
        _offset += size;
        return address;
    }

    /// <summary>Writer only: the entry allocated at <paramref name="address"/> with <paramref name="size"/> bytes is complete.</summary>
    public void Publish(long address, int size) => Volatile.Write(ref _ends[(int)(address >> 32)], Offset(address) + size);

    /// <summary>Published entry ends per chunk (unused slots are 0). Read it before dereferencing what it names.</summary>
    public int[] PublishedEnds => Volatile.Read(ref _ends);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Chunk(long address) => Volatile.Read(ref _chunks)[(int)(address >> 32)].Span;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Offset(long address) => (int)(uint)address;

    /// <summary>
    /// Hints the CPU to load the first <paramref name="bytes"/> of the entry at
    /// <paramref name="address"/> (a published one), so that a walk in key order, whose entries
    /// lie scattered over the chunks, overlaps their memory latencies.
    /// </summary>
    public void Prefetch(long address, int bytes)
    {
        var chunk = Volatile.Read(ref _chunks)[(int)(address >> 32)];
        int offset = Offset(address);
        for (int line = 0; line < bytes; line += CacheLine) chunk.Prefetch(offset + line);
    }

    private const int CacheLine = 64;

    private int AddChunk(int size)
    {
        if (_chunkCount >= MaxChunks) throw new InvalidArgumentException("Write batch too large for one memtable (arena chunk limit reached).");
        var chunk = new NativeBuffer<byte>(size);
        var chunks = _chunks;
        if (_chunkCount == chunks.Length)
        {
            var grown = new NativeBuffer<byte>[chunks.Length * 2];
            Array.Copy(chunks, grown, chunks.Length);
            chunks = grown;
        }
        chunks[_chunkCount] = chunk;
        Volatile.Write(ref _chunks, chunks);
        if (_chunkCount == _ends.Length)
        {
            var grown = new int[_ends.Length * 2];
            Array.Copy(_ends, grown, _ends.Length);
            Volatile.Write(ref _ends, grown);
        }
        Interlocked.Add(ref _memoryUsage, size);
        return _chunkCount++;
    }

    /// <summary>
    /// Frees every chunk. Only when no reader can reach this arena any more (the memtable's last
    /// reference is gone); the arena must not be used afterwards, and a reader that still did
    /// would find the chunks freed (<see cref="ObjectDisposedException"/>). An arena never
    /// released (a memtable never referenced) leaves its chunks to their finalizers.
    /// </summary>
    public void Release()
    {
        // A chunk freed already (a second call) is left alone by its Dispose.
        var chunks = _chunks;
        for (int i = 0; i < _chunkCount; i++) chunks[i].Dispose();
    }

    /// <summary>The chunks allocated so far, freed or not (for tests of when they are freed). Writer only.</summary>
    internal IReadOnlyList<NativeBuffer<byte>> Chunks => _chunks[.._chunkCount];
}
