using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using LatticeKV.Keys;

namespace LatticeKV.Memtable;

/// <summary>
/// Layout of one memtable entry in the <see cref="Arena"/>. Written once by the single writer
/// before it is published; immutable afterwards.
/// <code>
/// [key_length:i32][value_length:i32][hash:u32][pad:4][previous_version:i64 (address+1, 0 = none)][internal key][value]
/// </code>
/// </summary>
internal static class MemEntry
{
    public const int HeaderSize = 24;
    private const int HashOffset = 8;
    private const int PreviousOffset = 16;

    public static long Write(Arena arena, ReadOnlySpan<byte> userKey, ulong sequence, ValueKind kind, ReadOnlySpan<byte> valuePrefix,
        ReadOnlySpan<byte> value, uint hash, long previous)
    {
        int keyLength = userKey.Length + InternalKey.TrailerSize;
        int valueLength = valuePrefix.Length + value.Length;
        long address = arena.Allocate(HeaderSize + keyLength + valueLength);
        var span = arena.Chunk(address).AsSpan(Arena.Offset(address), HeaderSize + keyLength + valueLength);
        BinaryPrimitives.WriteInt32LittleEndian(span, keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], valueLength);
        BinaryPrimitives.WriteUInt32LittleEndian(span[HashOffset..], hash);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(span[PreviousOffset..], previous + 1);
        InternalKey.Encode(span[HeaderSize..], userKey, sequence, kind);
        valuePrefix.CopyTo(span[(HeaderSize + keyLength)..]);
        value.CopyTo(span[(HeaderSize + keyLength + valuePrefix.Length)..]);
        return address;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Key(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off));
        return chunk.AsSpan(off + HeaderSize, keyLength);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(Arena arena, long address) => InternalKey.UserKey(Key(arena, address));

    public static ReadOnlySpan<byte> Value(Arena arena, long address)
    {
        var chunk = arena.Chunk(address);
        int off = Arena.Offset(address);
        int keyLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off));
        int valueLength = BinaryPrimitives.ReadInt32LittleEndian(chunk.AsSpan(off + 4));
        return chunk.AsSpan(off + HeaderSize + keyLength, valueLength);
    }

    /// <summary>The low 32 bits of the key's hash, kept so the index can grow without rehashing keys.</summary>
    public static uint Hash(Arena arena, long address)
        => BinaryPrimitives.ReadUInt32LittleEndian(arena.Chunk(address).AsSpan(Arena.Offset(address) + HashOffset));

    /// <summary>The next older version of the same user key, or -1.</summary>
    public static long Previous(Arena arena, long address)
        => BinaryPrimitives.ReadInt64LittleEndian(arena.Chunk(address).AsSpan(Arena.Offset(address) + PreviousOffset)) - 1;
}
