using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// A skip list of (internal key, value) entries stored in an <see cref="Arena"/>, after LevelDB's
/// design: one writer at a time (the group-commit leader), any number of lock-free readers.
/// A node is fully written before a release store links it in, and readers follow links with
/// acquire loads, so a reader sees either the old list or the list with the whole new node.
/// Nodes are never removed.
/// <code>
/// node: [keyLength:4][valueLength:4][height:4][pad:4][next[0..height):8 each][internal key][value]
/// </code>
/// </summary>
internal sealed class SkipList
{
    public const int MaxHeight = 12;
    private const int KeyLengthOffset = 0;
    private const int ValueLengthOffset = 4;
    private const int HeightOffset = 8;
    private const int NextOffset = 16;
    public const long Null = -1;

    private readonly Arena _arena;
    private readonly InternalKeyComparator _cmp;
    private readonly long _head;
    private int _maxHeight = 1; // read racily by readers; any value up to the true height is safe
    private ulong _rng = 0x9E3779B97F4A7C15UL;
    private int _count;

    public SkipList(InternalKeyComparator cmp, Arena arena)
    {
        _cmp = cmp;
        _arena = arena;
        _head = NewNode(MaxHeight, 0, 0);
        for (int i = 0; i < MaxHeight; i++) SetNextRelaxed(_head, i, Null);
    }

    public int Count => Volatile.Read(ref _count);

    public long Head => _head;

    /// <summary>
    /// Reserves a node; the caller fills its key and value through <see cref="EntrySpanMutable"/>
    /// and then links it with <see cref="Insert"/>.
    /// </summary>
    public long Allocate(int keyLength, int valueLength, out int height)
    {
        height = RandomHeight();
        return NewNode(height, keyLength, valueLength);
    }

    /// <summary>Links a fully written node. Caller guarantees no equal key is present.</summary>
    public void Insert(long node, int height)
    {
        Span<long> prev = stackalloc long[MaxHeight];
        var key = KeySpan(node);
        FindGreaterOrEqual(key, prev);
        int max = _maxHeight;
        if (height > max)
        {
            for (int i = max; i < height; i++) prev[i] = _head;
            // Readers that see the new height before the links find Null at those levels and descend.
            Volatile.Write(ref _maxHeight, height);
        }
        for (int i = 0; i < height; i++)
        {
            SetNextRelaxed(node, i, NextAcquire(prev[i], i));
            SetNextRelease(prev[i], i, node);
        }
        Volatile.Write(ref _count, _count + 1);
    }

    /// <summary>First node whose key is at or after <paramref name="key"/>, or <see cref="Null"/>.</summary>
    public long Seek(ReadOnlySpan<byte> key) => FindGreaterOrEqual(key, default);

    /// <summary>Last node whose key is strictly before <paramref name="key"/>, or the head.</summary>
    public long FindLessThan(ReadOnlySpan<byte> key)
    {
        long x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            long next = NextAcquire(x, level);
            if (next != Null && _cmp.Compare(KeySpan(next), key) < 0)
            {
                x = next;
            }
            else
            {
                if (level == 0) return x;
                level--;
            }
        }
    }

    /// <summary>The last node, or the head when empty.</summary>
    public long FindLast()
    {
        long x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            long next = NextAcquire(x, level);
            if (next != Null)
            {
                x = next;
            }
            else
            {
                if (level == 0) return x;
                level--;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(long node) => NextAcquire(node, 0);

    public ReadOnlySpan<byte> KeySpan(long node)
    {
        var chunk = _arena.Chunk(node);
        int off = Arena.Offset(node);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + KeyLengthOffset));
        int height = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + HeightOffset));
        return chunk.AsSpan(off + NextOffset + height * 8, keyLength);
    }

    public ReadOnlySpan<byte> ValueSpan(long node)
    {
        var chunk = _arena.Chunk(node);
        int off = Arena.Offset(node);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + KeyLengthOffset));
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + ValueLengthOffset));
        int height = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + HeightOffset));
        return chunk.AsSpan(off + NextOffset + height * 8 + keyLength, valueLength);
    }

    /// <summary>The writable key and value region of a node not yet inserted.</summary>
    public Span<byte> EntrySpanMutable(long node)
    {
        var chunk = _arena.Chunk(node);
        int off = Arena.Offset(node);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + KeyLengthOffset));
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + ValueLengthOffset));
        int height = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + HeightOffset));
        return chunk.AsSpan(off + NextOffset + height * 8, keyLength + valueLength);
    }

    private long FindGreaterOrEqual(ReadOnlySpan<byte> key, Span<long> prev)
    {
        long x = _head;
        int level = Volatile.Read(ref _maxHeight) - 1;
        while (true)
        {
            long next = NextAcquire(x, level);
            if (next != Null && _cmp.Compare(KeySpan(next), key) < 0)
            {
                x = next;
            }
            else
            {
                if (!prev.IsEmpty) prev[level] = x;
                if (level == 0) return next;
                level--;
            }
        }
    }

    private long NewNode(int height, int keyLength, int valueLength)
    {
        long size = NextOffset + (long)height * 8 + keyLength + valueLength;
        if (size > int.MaxValue - 8) throw new InvalidArgumentException("Entry too large for the memtable.");
        long node = _arena.Allocate((int)size);
        var chunk = _arena.Chunk(node);
        int off = Arena.Offset(node);
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(off + KeyLengthOffset), keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(off + ValueLengthOffset), valueLength);
        BinaryPrimitives.WriteInt32LittleEndian(chunk.AsSpan(off + HeightOffset), height);
        return node;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref long NextSlot(long node, int level)
    {
        var chunk = _arena.Chunk(node);
        return ref Unsafe.As<byte, long>(ref chunk[Arena.Offset(node) + NextOffset + level * 8]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long NextAcquire(long node, int level) => Volatile.Read(ref NextSlot(node, level));

    private void SetNextRelease(long node, int level, long value) => Volatile.Write(ref NextSlot(node, level), value);

    private void SetNextRelaxed(long node, int level, long value) => NextSlot(node, level) = value;

    private int RandomHeight()
    {
        // Branching factor 4, as LevelDB: each level holds about a quarter of the one below.
        int height = 1;
        while (height < MaxHeight)
        {
            _rng ^= _rng << 13;
            _rng ^= _rng >> 7;
            _rng ^= _rng << 17;
            if ((_rng & 3) != 0) break;
            height++;
        }
        return height;
    }
}
