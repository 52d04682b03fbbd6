using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LatticeKV.Coding;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// Layout of one memtable entry in the <see cref="Arena"/>. Written once by the single writer
/// before it is published; immutable afterwards.
/// <code>
/// [previous_version:i64 (address+1, 0 = none)][hash:u32][key_length:varint32][value_length:varint32][internal key][value]
/// </code>
/// Lengths are varints and entries are not padded: a delete of a 16-byte key takes 38 bytes, so
/// a memtable holds about as many tombstones as RocksDB's skip list does in the same budget (a
/// 64 MiB write buffer takes a million deletes, and their flush can drop what they delete).
/// </summary>
internal static class MemEntry
{
    private const int HashOffset = 8;
    private const int LengthsOffset = 12;

    public static long Write(Arena arena, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind, ReadOnlySpan<byte> valuePrefix,
        ReadOnlySpan<byte> value, uint hash, long previous)
    {
        int keyLength = userKey.Length + InternalKey.TrailerSize;
        int valueLength = valuePrefix.Length + value.Length;
        int header = LengthsOffset + Varint.Length((uint)keyLength) + Varint.Length((uint)valueLength);
        int size = header + keyLength + valueLength;
        long address = arena.Allocate(size);
        var span = arena.Chunk(address).AsSpan(Arena.Offset(address), size);
        BinaryPrimitives.WriteInt64LittleEndian(span, previous + 1);
        BinaryPrimitives.WriteUInt32LittleEndian(span[HashOffset..], hash);
        int at = LengthsOffset + Varint.Write(span[LengthsOffset..], (uint)keyLength);
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
        int off = Arena.Offset(address) + LengthsOffset;
        int keyLength = ReadLength(chunk, ref off);
        SkipLength(chunk, ref off);
        return chunk.AsSpan(off, keyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(Arena arena, long address) => InternalKey.UserKey(Key(arena, address));

    public static ReadOnlySpan<byte> Value(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address) + LengthsOffset;
        int keyLength = ReadLength(chunk, ref off);
        int valueLength = ReadLength(chunk, ref off);
        return chunk.AsSpan(off + keyLength, valueLength);
    }

    /// <summary>The low 32 bits of the key's hash, kept so the index can grow without rehashing keys.</summary>
    public static uint Hash(Arena arena, long address)
        => BinaryPrimitives.ReadUInt32LittleEndian(arena.Chunk(address).AsSpan(Arena.Offset(address) + HashOffset));

    /// <summary>The next older version of the same user key, or -1.</summary>
    public static long Previous(Arena arena, long address)
        => BinaryPrimitives.ReadInt64LittleEndian(arena.Chunk(address).AsSpan(Arena.Offset(address))) - 1;

    // The writer wrote these lengths itself, so they are well-formed; one byte is the usual case.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ReadLength(byte[] chunk, ref int off)
    {
        uint b = chunk[off++];
        if (b < 0x80) return (int)b;
        Varint.TryRead32(chunk.AsSpan(off - 1), out uint value, out int length);
        off += length - 1;
        return (int)value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SkipLength(byte[] chunk, ref int off)
    {
        while (chunk[off++] >= 0x80) { }
    }
}
