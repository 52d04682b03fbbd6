using System.Runtime.CompilerServices;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// Layout of one memtable entry in the <see cref="Arena"/>. Written once by the single writer
/// before it is published; immutable afterwards.
/// <code>
/// [previous_version:varint64 (address+1, 0 = none)][key_length:varint32][value_length:varint32][internal key][value]
/// </code>
/// Three bytes of header for a small entry with no older version in the memtable: a delete of a
/// 16-byte key takes 27 bytes and a 100-byte value 127, so with the hash index a memtable holds
/// as many entries as RocksDB's skip list does in the same budget. The key's hash is not kept:
/// the index recomputes it from the key on the rare occasions it grows.
/// </summary>
internal static class MemEntry
{
    public static long Write(Arena arena, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind, ReadOnlySpan<byte> valuePrefix,
        ReadOnlySpan<byte> value, long previous, out int size)
    {
        int keyLength = userKey.Length + InternalKey.TrailerSize;
        int valueLength = valuePrefix.Length + value.Length;
        ulong link = (ulong)(previous + 1);
        int header = Varint.Length(link) + Varint.Length((uint)keyLength) + Varint.Length((uint)valueLength);
        size = header + keyLength + valueLength;
        long address = arena.Allocate(size);
        var span = arena.Chunk(address).Slice(Arena.Offset(address), size);
        int at = Varint.Write(span, link);
        at += Varint.Write(span[at..], (uint)keyLength);
        Varint.Write(span[at..], (uint)valueLength);
        InternalKey.Encode(span[header..], userKey, sequence, kind);
        valuePrefix.CopyTo(span[(header + keyLength)..]);
        value.CopyTo(span[(header + keyLength + valuePrefix.Length)..]);
        return address;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address);
        SkipLength(chunk, ref off);
        int keyLength = ReadLength(chunk, ref off);
        SkipLength(chunk, ref off);
        return chunk.Slice(off, keyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(Arena arena, long address) => InternalKey.UserKey(Key(arena, address));

    public static ReadOnlySpan<byte> Value(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address);
        SkipLength(chunk, ref off);
        int keyLength = ReadLength(chunk, ref off);
        int valueLength = ReadLength(chunk, ref off);
        return chunk.Slice(off + keyLength, valueLength);
    }

    /// <summary>Bytes the entry at <paramref name="address"/> occupies (where the next one in its chunk starts).</summary>
    public static int Size(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int start = Arena.Offset(address);
        int off = start;
        SkipLength(chunk, ref off);
        int keyLength = ReadLength(chunk, ref off);
        int valueLength = ReadLength(chunk, ref off);
        return off - start + keyLength + valueLength;
    }

    /// <summary>The next older version of the same user key, or -1.</summary>
    public static long Previous(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address);
        if (chunk[off] == 0) return -1;
        Varint.TryRead(chunk[off..], out ulong link, out _);
        return (long)link - 1;
    }

    // The writer wrote these lengths itself, so they are well-formed; one byte is the usual case.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLength(Span<byte> chunk, ref int off)
    {
        uint b = chunk[off++];
        if (b < 0x80) return (int)b;
        Varint.TryRead32(chunk[(off - 1)..], out uint value, out int length);
        off += length - 1;
        return (int)value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipLength(Span<byte> chunk, ref int off)
    {
        while (chunk[off++] >= 0x80) { }
    }
}
